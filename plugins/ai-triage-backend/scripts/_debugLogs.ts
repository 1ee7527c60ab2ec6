import { LogTemplateMiner, tokenize } from '../src/enrichment/LogTemplateMiner';
import { readLoghubDataset, SHARED_LOGHUB_DIR } from '../src/__testUtils__/loghub';
const system = process.argv[2];
const lines = readLoghubDataset(SHARED_LOGHUB_DIR, system);
const miner = LogTemplateMiner.create();
const pred = lines.map(l => miner.add(l.content));
const truth = lines.map(l => l.eventId);
const truthSizes = new Map<string, number>();
truth.forEach(id => truthSizes.set(id, (truthSizes.get(id) ?? 0) + 1));
const groups = new Map<number, number[]>();
pred.forEach((g, i) => { const a = groups.get(g) ?? []; a.push(i); groups.set(g, a); });
// per truth event: which predicted groups
const byEvent = new Map<string, Map<number, number>>();
truth.forEach((e, i) => { const m = byEvent.get(e) ?? new Map(); m.set(pred[i], (m.get(pred[i]) ?? 0) + 1); byEvent.set(e, m); });
for (const [g, ls] of groups) {
  const events = new Set(ls.map(l => truth[l]));
  const [ev] = events;
  if (events.size === 1 && truthSizes.get(ev) === ls.length) continue;
  console.log(`\nGROUP ${g} size ${ls.length} template: ${miner.template(g)}`);
  const evCounts = new Map<string, number>();
  ls.forEach(l => evCounts.set(truth[l], (evCounts.get(truth[l]) ?? 0) + 1));
  for (const [e, c] of evCounts) {
    const ex = ls.find(l => truth[l] === e)!;
    console.log(`  ${e} ${c}/${truthSizes.get(e)} e.g. ${lines[ex].content.slice(0, 200)}`);
    console.log(`     tok: ${tokenize(lines[ex].content).join(' ').slice(0, 200)}`);
  }
}
