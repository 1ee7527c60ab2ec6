/** Where a telemetry back-end answers, and the headers (auth) every request carries. */
export type HttpEndpoint = {
  baseUrl: string;
  headers: Record<string, string>;
};

/**
 * GETs `path` under the endpoint's base URL with the query parameters and returns the parsed
 * JSON body. A non-2xx answer throws an Error naming the status and the start of the body; an
 * aborted signal throws its reason.
 */
export async function getJson(
  endpoint: HttpEndpoint,
  path: string,
  params: Record<string, string>,
  signal: AbortSignal,
): Promise<unknown> {
  const url = new URL(`${endpoint.baseUrl.replace(/\/+$/, '')}${path}`);
  for (const [key, value] of Object.entries(params)) {
    url.searchParams.set(key, value);
  }
  const response = await fetch(url, {
    headers: { accept: 'application/json', ...endpoint.headers },
    signal,
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(
      `GET ${path} answered ${response.status} ${
        response.statusText
      }: ${text.slice(0, 300)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`GET ${path} answered with a body that is not JSON`);
  }
}
