// An example of the client, type-checked in CI against the current
// OpenAPI document (`npm test`): if the API changes a path, a parameter or
// a field used here, the check fails.
import { createRosterClient, type components } from "../src/index";

type Client = components["schemas"]["Client"];

export async function example(baseUrl: string, apiKey: string): Promise<Client> {
  const roster = createRosterClient({ baseUrl, apiKey });

  const created = await roster.POST("/client-management/clients/", {
    body: { email: "ada@example.com", display_name: "Ada", preferable_activities: ["Running"] },
  });
  if (created.error) {
    throw new Error(`create: ${created.response.status} ${created.error.error}`);
  }
  const uid = created.data.userData.user_uid;

  const page = await roster.GET("/client-management/clients/", {
    params: { query: { page: 1, per_page: 20, order_by: "display_name" } },
  });
  if (page.data && "query_count" in page.data) {
    console.log(`${page.data.query_count} clients, ${page.data.pages} pages`);
  }

  const one = await roster.GET("/client-management/clients/{user_uid}", {
    params: { path: { user_uid: uid } },
  });
  if (one.error) {
    throw new Error(`get ${uid}: ${one.response.status} ${one.error.error}`);
  }
  return one.data;
}
