// The JSON answer of the plain HTTP routes (uploads, edits, files, exports): one shape for errors.
import type http from "node:http";

export function replyJson(res: http.ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
