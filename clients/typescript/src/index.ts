// A thin typed client for the Roster API. The types come from
// openapi/roster.openapi.json (src/schema.d.ts, written by `npm run
// generate`); calls go through openapi-fetch, so that a path, its
// parameters, its body and its answers are checked by the compiler.
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { paths } from "./schema";

export type { components, operations, paths } from "./schema";

/** A client of one Roster server, typed by its OpenAPI document. */
export type RosterClient = Client<paths>;

/** How a client authenticates: an API key, or a bearer token. */
export interface RosterOptions extends ClientOptions {
  /** Roster's base URL, e.g. https://roster.example.com */
  baseUrl: string;
  /** An API key, sent as `API-KEY: <key>`. */
  apiKey?: string;
  /**
   * A Roster access token or an OpenID Connect token, sent as
   * `Authorization: Bearer <token>`. A function is asked before each
   * request, so that a refreshed token is used as soon as it exists.
   */
  token?: string | (() => string | undefined);
}

/** Returns a client of the Roster server at options.baseUrl. */
export function createRosterClient(options: RosterOptions): RosterClient {
  const { apiKey, token, ...fetchOptions } = options;
  const client = createClient<paths>(fetchOptions);
  client.use({
    onRequest({ request }) {
      if (apiKey !== undefined) {
        request.headers.set("API-KEY", apiKey);
      }
      const bearer = typeof token === "function" ? token() : token;
      if (bearer !== undefined) {
        request.headers.set("Authorization", `Bearer ${bearer}`);
      }
      return request;
    },
  });
  return client;
}
