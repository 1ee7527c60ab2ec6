import { InputError } from '@backstage/errors';
import {
  Worker,
  isMainThread,
  parentPort,
  workerData,
} from 'node:worker_threads';
import { parseJsonSliced } from '../service/jsonBody';
import { OtlpSignal, decodeOtlpProtobuf } from './otlp';

type DecodeRequest = { id: number; signal: OtlpSignal; bytes: Uint8Array };
type DecodeAnswer =
  | { id: number; json: Uint8Array }
  | { id: number; error: { name: string; message: string } };

const WORKER_FLAG = 'aiTriageOtlpProtobufWorker';

/**
 * Decodes OTLP/protobuf exports off the event loop: a worker thread decodes the message (which
 * the generated decoder does in one synchronous pass: 260 to 290 ms of CPU for a 3.4 MB record
 * of 100k attributes on two loaded cores) and hands back its OTLP/JSON form as bytes, which
 * this thread parses in slices ({@link parseJsonSliced}), values nested past `truncateDepth`
 * cut to `{}` as for OTLP/JSON. One worker, started at the first export and restarted if it
 * dies; idle, it does not keep the process alive.
 */
export class OtlpProtobufDecoder {
  private worker?: Worker;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(json: Uint8Array): void; reject(error: Error): void }
  >();

  constructor(private readonly options: { truncateDepth: number }) {}

  /** @throws InputError when the bytes are not a valid message of the signal's request */
  async decode(signal: OtlpSignal, bytes: Uint8Array): Promise<unknown> {
    const json = await this.inWorker(signal, bytes);
    return parseJsonSliced(json, { truncateDepth: this.options.truncateDepth });
  }

  private inWorker(signal: OtlpSignal, bytes: Uint8Array): Promise<Uint8Array> {
    const worker = this.worker ?? this.startWorker();
    const id = this.nextId++;
    // Referenced while it has work, so a waiting decode keeps the process alive; idle, it
    // does not.
    worker.ref();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, signal, bytes } satisfies DecodeRequest);
    }).finally(() => {
      if (this.pending.size === 0) worker.unref();
    });
  }

  private startWorker(): Worker {
    // Under ts-node style runs (tests, scripts) the module is TypeScript: the worker registers
    // the same transform before loading it.
    const transform = __filename.endsWith('.ts')
      ? require.resolve('@backstage/cli/config/nodeTransform.cjs')
      : undefined;
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       if (workerData.transform) require(workerData.transform);
       require(workerData.module);`,
      {
        eval: true,
        workerData: { [WORKER_FLAG]: true, module: __filename, transform },
      },
    );
    worker.on('message', (answer: DecodeAnswer) => {
      const waiting = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (!waiting) return;
      if ('json' in answer) {
        waiting.resolve(answer.json);
      } else if (answer.error.name === 'InputError') {
        waiting.reject(new InputError(answer.error.message));
      } else {
        waiting.reject(new Error(answer.error.message));
      }
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', code =>
      fail(new Error(`The OTLP/protobuf decoder stopped (exit code ${code})`)),
    );
    // After the listeners, which would hold the process open again.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/** In the worker: answers each decode request with the export's OTLP/JSON bytes. */
function serveDecodes(): void {
  parentPort!.on('message', ({ id, signal, bytes }: DecodeRequest) => {
    try {
      const json = new TextEncoder().encode(
        JSON.stringify(decodeOtlpProtobuf(signal, bytes)),
      );
      parentPort!.postMessage({ id, json } satisfies DecodeAnswer, [
        json.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      const { name, message } = error as Error;
      parentPort!.postMessage({
        id,
        error: { name, message },
      } satisfies DecodeAnswer);
    }
  });
}

if (!isMainThread && workerData?.[WORKER_FLAG]) {
  serveDecodes();
}
