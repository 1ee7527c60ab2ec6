import { tokenize, WILDCARD } from '../src/enrichment/LogTemplateMiner';
import { groupingAccuracy, LOGHUB_SYSTEMS, readLoghubDataset, SHARED_LOGHUB_DIR } from '../src/__testUtils__/loghub';

const DATE = /\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{1,2}\b/g;
type Cluster = { id: number; tokens: string[]; count: number };
type TreeNode = { children: Map<string, TreeNode>; clusters: Cluster[] };
const opts = JSON.parse(process.argv[2] ?? '{}');
const K = opts.k ?? 0; const depth = opts.depth ?? 4, st = opts.st ?? 0.7, wordPenalty = opts.wp ?? 0, drainSim = opts.drain ?? false;
const isWord = (t: string) => !/\d/.test(t) && !t.includes('<*>');
class Miner {
  root = new Map<number, TreeNode>(); alias = new Map<number, number>(); final(id: number): number { let x = id; while (this.alias.has(x)) x = this.alias.get(x)!; return x; } clusters: Cluster[] = [];
  add(message: string): number {
    const tokens = tokenize(opts.date ? message.replace(DATE, ' <*> ') : message);
    let node = this.root.get(tokens.length);
    if (!node) { node = { children: new Map(), clusters: [] }; this.root.set(tokens.length, node); }
    const n = Math.min(depth - 2, tokens.length);
    for (let i = 0; i < n; i++) {
      const t = /\d/.test(tokens[i]) ? WILDCARD : tokens[i];
      let c = node.children.get(t);
      if (!c) { const key = node.children.size < 99 || t === WILDCARD ? t : WILDCARD; c = node.children.get(key); if (!c) { c = { children: new Map(), clusters: [] }; node.children.set(key, c); } }
      node = c;
    }
    let best: Cluster | undefined; let bs = -1, bw = -1;
    for (const cl of node.clusters) {
      let eq = 0, wc = 0, pen = 0;
      cl.tokens.forEach((t, i) => {
        if (t === WILDCARD) { wc++; if (!drainSim && tokens[i] === WILDCARD) eq++; }
        else if (t === tokens[i]) { if (!(drainSim && t.includes('<*>'))) eq++; }
        else if (isWord(t) && isWord(tokens[i])) pen++;
      });
      const sim = tokens.length === 0 ? 1 : (eq - wordPenalty * pen) / tokens.length;
      if (sim > bs || (sim === bs && wc > bw)) { best = cl; bs = sim; bw = wc; }
    }
    if (best && bs >= st) { best.tokens = best.tokens.map((t, i) => t === tokens[i] ? t : WILDCARD); best.count++; return best.id; }
    const cl = { id: this.clusters.length + 1, tokens, count: 1 }; this.clusters.push(cl); node.clusters.push(cl);
    if (K > 0) {
      const byPos = new Map<number, Cluster[]>();
      for (const o of node.clusters) { if (o === cl) continue; let diff = -1, n = 0;
        for (let i = 0; i < tokens.length && n < 2; i++) { if (o.tokens[i] !== tokens[i] && o.tokens[i] !== WILDCARD) { diff = i; n++; } }
        if (n === 1) { const a = byPos.get(diff) ?? []; a.push(o); byPos.set(diff, a); } }
      for (const [p, os] of byPos) if (os.length + 1 >= K) {
        const target = os[0]; target.tokens = target.tokens.map((t, i) => i === p ? WILDCARD : t);
        for (const o of [...os.slice(1), cl]) { this.alias.set(o.id, target.id); target.count += o.count; node.clusters.splice(node.clusters.indexOf(o), 1); }
        return target.id;
      }
    }
    return cl.id;
  }
}
const res: string[] = []; let sum = 0;
for (const s of LOGHUB_SYSTEMS) {
  const lines = readLoghubDataset(SHARED_LOGHUB_DIR, s); const m = new Miner();
  const a = groupingAccuracy(lines.map(l => m.add(l.content)).map(i => m.final(i)), lines.map(l => l.eventId)); sum += a; res.push(`${s}=${a.toFixed(3)}`);
}
if (opts.dbg) { const lines = readLoghubDataset(SHARED_LOGHUB_DIR, opts.dbg); const m = new Miner(); const pr = lines.map(l => m.add(l.content)).map(i => m.final(i)); const tr = lines.map(l=>l.eventId); const ts = new Map<string,number>(); tr.forEach(e=>ts.set(e,(ts.get(e)??0)+1)); const g = new Map<number,number[]>(); pr.forEach((x,i)=>{const a=g.get(x)??[];a.push(i);g.set(x,a);}); for (const [id,ls] of g) { const ev=new Set(ls.map(l=>tr[l])); const [e]=ev; if (ev.size===1 && ts.get(e)===ls.length) continue; console.log(`G${id} n=${ls.length} ${m.clusters[id-1].tokens.join(' ').slice(0,150)}`); const seen=new Set<string>(); for (const l of ls) if (!seen.has(tr[l])) { seen.add(tr[l]); console.log(`   ${tr[l]} ${ls.filter(x=>tr[x]===tr[l]).length}/${ts.get(tr[l])} ${lines[l].content.slice(0,150)}`);} } }
console.log(JSON.stringify(opts), (sum / 10).toFixed(4), res.join(' '));
