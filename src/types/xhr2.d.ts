// xhr2: XMLHttpRequest for Node, used because dicomweb-client is written against XMLHttpRequest.
declare module 'xhr2' {
  import type { Agent as HttpAgent } from 'node:http';
  import type { Agent as HttpsAgent } from 'node:https';
  class XMLHttpRequest {
    nodejsSet(options: { httpAgent?: HttpAgent; httpsAgent?: HttpsAgent; baseUrl?: string }): void;
    status: number;
    response: unknown;
    responseText: string;
    timeout: number;
    getResponseHeader(name: string): string | null;
  }
  export = XMLHttpRequest;
}
