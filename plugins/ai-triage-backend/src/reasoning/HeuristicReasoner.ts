// The heuristic reasoner lives in ./heuristic (one file per rule family and a scoring module);
// this path stays for the imports of plugin.ts and other modules.
export { HeuristicReasoner } from './heuristic/HeuristicReasoner';
