// A free TCP port on loopback, for servers that tests and benchmarks start.
import net from 'node:net';

/** A free TCP port on 127.0.0.1 (free when this returns; bind it soon). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
