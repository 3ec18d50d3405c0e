// S3-compatible object storage (AWS S3, MinIO, Ceph, R2…) behind the same Storage interface,
// signed with SigV4 by aws4fetch. Large streams go up as multipart uploads in 16 MB parts so a
// multi-GB upload never sits in memory whole.
import { createHash } from "node:crypto";
import { AwsClient } from "aws4fetch";
import { assertKey, TooLargeError, type Storage } from "./index";

export interface S3Config {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** key prefix inside the bucket, e.g. "uair/" */
  prefix?: string;
}

const PART = 16 * 2 ** 20;

const xmlValues = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => decodeXml(m[1]));
const decodeXml = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

export function s3Storage(cfg: S3Config): Storage {
  const aws = new AwsClient({ accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey, region: cfg.region, service: "s3" });
  const base = `${cfg.endpoint.replace(/\/+$/, "")}/${cfg.bucket}`;
  const prefix = cfg.prefix ?? "";
  const url = (key: string, query = "") => (assertKey(key), `${base}/${encodeURI(prefix + key)}${query}`);

  async function call(method: string, target: string, body?: Uint8Array, ok = [200]): Promise<Response> {
    const res = await aws.fetch(target, { method, body: body as Uint8Array<ArrayBuffer> | undefined });
    if (!ok.includes(res.status)) {
      const text = await res.text().catch(() => "");
      throw new Error(`S3 ${method} ${target.replace(base, "")} failed: ${res.status} ${xmlValues(text, "Message")[0] ?? text.slice(0, 200)}`);
    }
    return res;
  }

  /** ListObjectsV2 over every page: keys (without our prefix) and sizes */
  async function listing(p: string): Promise<{ key: string; size: number }[]> {
    const out: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const q = new URLSearchParams({ "list-type": "2", prefix: prefix + p, ...(token ? { "continuation-token": token } : {}) });
      const xml = await (await call("GET", `${base}?${q}`)).text();
      const sizes = xmlValues(xml, "Size").map(Number);
      xmlValues(xml, "Key").forEach((k, i) => out.push({ key: k.slice(prefix.length), size: sizes[i] ?? 0 }));
      token = xml.includes("<IsTruncated>true</IsTruncated>") ? xmlValues(xml, "NextContinuationToken")[0] : undefined;
    } while (token);
    return out;
  }

  const storage: Storage = {
    async put(key, bytes) {
      await call("PUT", url(key), bytes);
      return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.byteLength };
    },
    async putStream(key, source, maxBytes) {
      const hash = createHash("sha256");
      let size = 0;
      let buffered: Uint8Array[] = [];
      let bufferedBytes = 0;
      let uploadId: string | null = null;
      const etags: string[] = [];
      const flushPart = async () => {
        const part = Buffer.concat(buffered);
        buffered = [];
        bufferedBytes = 0;
        uploadId ??= xmlValues(await (await call("POST", url(key, "?uploads"))).text(), "UploadId")[0];
        const res = await call("PUT", url(key, `?partNumber=${etags.length + 1}&uploadId=${encodeURIComponent(uploadId)}`), part);
        etags.push(res.headers.get("etag") ?? "");
      };
      try {
        for await (const chunk of source) {
          size += chunk.byteLength;
          if (size > maxBytes) throw new TooLargeError(`more than ${maxBytes} bytes`);
          hash.update(chunk);
          buffered.push(chunk);
          bufferedBytes += chunk.byteLength;
          if (bufferedBytes >= PART) await flushPart();
        }
        if (uploadId === null) {
          await call("PUT", url(key), Buffer.concat(buffered));
        } else {
          if (bufferedBytes > 0) await flushPart();
          const parts = etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("");
          const done = await call("POST", url(key, `?uploadId=${encodeURIComponent(uploadId)}`), Buffer.from(`<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`));
          // S3 may answer 200 with an error document
          const text = await done.text();
          if (text.includes("<Error>")) throw new Error(`S3 multipart completion failed: ${xmlValues(text, "Message")[0] ?? text.slice(0, 200)}`);
        }
        return { sha256: hash.digest("hex"), size };
      } catch (e) {
        if (uploadId) await call("DELETE", url(key, `?uploadId=${encodeURIComponent(uploadId)}`), undefined, [200, 204, 404]).catch(() => undefined);
        throw e;
      }
    },
    async list(p) {
      return (await listing(p)).map((o) => o.key).sort();
    },
    async usage(p) {
      return (await listing(p)).reduce((a, o) => a + o.size, 0);
    },
    async get(key) {
      return new Uint8Array(await (await call("GET", url(key))).arrayBuffer());
    },
    async exists(key) {
      return (await call("HEAD", url(key), undefined, [200, 404])).status === 200;
    },
    async size(key) {
      return Number((await call("HEAD", url(key))).headers.get("content-length"));
    },
    async delete(key) {
      // a prefix ("folder") delete removes every key under it, as the local back end does
      const under = await storage.list(key.endsWith("/") ? key : `${key}/`);
      for (const k of under) await call("DELETE", url(k), undefined, [200, 204]);
      await call("DELETE", url(key), undefined, [200, 204, 404]);
    },
  };
  return storage;
}
