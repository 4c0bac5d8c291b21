/**
 * Request parameters as pve-http-server collects them: the query string plus, for POST/PUT, a
 * form body (application/x-www-form-urlencoded), a JSON body, or multipart/form-data (uploads).
 * A repeated key becomes an array (PVE: \0-joined, split for array parameters).
 */
import type { IncomingMessage } from 'node:http';
import type { RawParams } from '../schema/params.js';

const MAX_BODY = 64 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function addParam(params: RawParams, k: string, v: string): void {
  const old = params[k];
  if (old === undefined) params[k] = v;
  else params[k] = Array.isArray(old) ? [...old, v] : [old, v];
}

export function parseQuery(search: string, params: RawParams = {}): RawParams {
  for (const [k, v] of new URLSearchParams(search)) addParam(params, k, v);
  return params;
}

export interface ParsedBody {
  params: RawParams;
  upload?: { filename: string; data: Buffer };
}

export function parseBody(contentType: string | undefined, body: Buffer): ParsedBody {
  const params: RawParams = {};
  if (!body.length) return { params };
  const ct = (contentType ?? '').toLowerCase();
  if (ct.startsWith('application/json')) {
    const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    for (const [k, v] of Object.entries(json)) {
      if (v === null || v === undefined) continue;
      params[k] = Array.isArray(v) ? v.map(String) : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    }
    return { params };
  }
  if (ct.startsWith('multipart/form-data')) return parseMultipart(contentType!, body);
  parseQuery(body.toString('utf8'), params);
  return { params };
}

function parseMultipart(contentType: string, body: Buffer): ParsedBody {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const params: RawParams = {};
  let upload: ParsedBody['upload'];
  if (!boundary) return { params };
  const delim = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd < 0) break;
    const headers = body.subarray(start, headerEnd).toString('utf8');
    const next = body.indexOf(delim, headerEnd + 4);
    if (next < 0) break;
    const content = body.subarray(headerEnd + 4, next - 2); // strip the CRLF before the delimiter
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (name === 'filename' && filename !== undefined) upload = { filename, data: Buffer.from(content) };
    else if (name) addParam(params, name, content.toString('utf8'));
    pos = next;
  }
  // pve-http-server sets the `filename` parameter from the file part.
  if (upload && params.filename === undefined) params.filename = upload.filename;
  return { params, upload };
}
