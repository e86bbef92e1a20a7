// The access-list benchmark's queries: each as Modelyard's list query string and as the same
// request to MLflow's search_registered_models (max_results = Modelyard's page size).
import { SEARCH_TERMS } from './access-catalogue.mjs';

export const PAGE = 20;
export const DEEP_PAGE = 50;
/** MLflow's page token is base64 of {"offset": n}. */
const mlflowToken = (offset) => Buffer.from(JSON.stringify({ offset })).toString('base64');

export const QUERIES = [
  { name: 'first page', modelyard: `page_size=${PAGE}`, mlflow: {} },
  { name: 'filter type+status', modelyard: `type=llm&status=active&page_size=${PAGE}`, mlflow: { filter: "tags.type = 'llm' AND tags.status = 'active'" } },
  { name: 'sort -updated', modelyard: `sort=-updated_at&page_size=${PAGE}`, mlflow: { order_by: 'last_updated_timestamp DESC' } },
  { name: `q 1% (${SEARCH_TERMS.common})`, modelyard: `q=${SEARCH_TERMS.common}&page_size=${PAGE}`, mlflow: { filter: `name ILIKE '%${SEARCH_TERMS.common}%'` } },
  { name: `q 0.1% (${SEARCH_TERMS.rare})`, modelyard: `q=${SEARCH_TERMS.rare}&page_size=${PAGE}`, mlflow: { filter: `name ILIKE '%${SEARCH_TERMS.rare}%'` } },
  { name: `page ${DEEP_PAGE}`, modelyard: `page=${DEEP_PAGE}&page_size=${PAGE}`, mlflow: { page_token: mlflowToken((DEEP_PAGE - 1) * PAGE) } },
];
export const QUERY_STRINGS = QUERIES.map((q) => q.modelyard);
