import http from 'node:http';
import { AddressInfo } from 'node:net';

/** One request the server received. */
export type ReceivedRequest = {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  receivedAtMs: number;
};

/** What the server answers to one request. */
export type FakeReply =
  /** A `chat.completion` whose message content is this text. */
  | {
      content: string;
      usage?: { prompt_tokens: number; completion_tokens: number };
      delayMs?: number;
    }
  /** An error in OpenAI's wire format. */
  | {
      status: number;
      message: string;
      type?: string;
      code?: string | null;
      headers?: Record<string, string>;
      delayMs?: number;
    };

type Responder = (request: ReceivedRequest) => FakeReply;

/**
 * A loopback HTTP server speaking the OpenAI chat-completions wire format
 * (`POST /v1/chat/completions`): the answers are scripted per test, every request is recorded.
 * Scripted replies are used in order; when they run out, the fallback responder answers.
 */
export class FakeChatCompletionsServer {
  static async start(): Promise<FakeChatCompletionsServer> {
    const fake = new FakeChatCompletionsServer();
    await new Promise<void>(resolve =>
      fake.server.listen(0, '127.0.0.1', resolve),
    );
    return fake;
  }

  readonly requests: ReceivedRequest[] = [];
  private readonly script: Responder[] = [];
  private fallback: Responder = () => ({
    status: 500,
    message: 'no reply scripted',
    type: 'server_error',
  });
  private readonly server = http.createServer((req, res) =>
    this.handle(req, res),
  );
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor() {
    this.server.on('connection', socket => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** The base URL to give the SDK (`.../v1`). */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** Answers the next requests with these replies, in order. */
  reply(...replies: Array<FakeReply | Responder>): this {
    for (const reply of replies) {
      this.script.push(typeof reply === 'function' ? reply : () => reply);
    }
    return this;
  }

  /** Answers every request beyond the script with this reply. */
  replyAlways(reply: FakeReply | Responder): this {
    this.fallback = typeof reply === 'function' ? reply : () => reply;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
        receivedAtMs: Date.now(),
      };
      this.requests.push(request);
      if (
        request.method !== 'POST' ||
        !/\/chat\/completions(\?|$)/.test(request.path)
      ) {
        this.send(res, 404, {
          error: {
            message: `Unknown route ${request.path}`,
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        });
        return;
      }
      const responder = this.script.shift() ?? this.fallback;
      const reply = responder(request);
      const respond = () => {
        if (res.destroyed) return;
        if ('content' in reply) {
          const usage = reply.usage ?? {
            prompt_tokens: 1000,
            completion_tokens: 100,
          };
          this.send(res, 200, {
            id: `chatcmpl-${this.requests.length}`,
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: request.body?.model ?? 'unknown',
            system_fingerprint: 'fp_fake',
            choices: [
              {
                index: 0,
                message: {
                  role: 'assistant',
                  content: reply.content,
                  refusal: null,
                },
                logprobs: null,
                finish_reason: 'stop',
              },
            ],
            usage: {
              ...usage,
              total_tokens: usage.prompt_tokens + usage.completion_tokens,
            },
          });
        } else {
          this.send(
            res,
            reply.status,
            {
              error: {
                message: reply.message,
                type: reply.type ?? 'server_error',
                param: null,
                code: reply.code ?? null,
              },
            },
            reply.headers,
          );
        }
      };
      if (reply.delayMs) {
        const timer = setTimeout(respond, reply.delayMs);
        res.on('close', () => clearTimeout(timer));
      } else {
        respond();
      }
    });
  }

  private send(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-request-id': `req_${this.requests.length}`,
      ...headers,
    });
    res.end(JSON.stringify(body));
  }
}
