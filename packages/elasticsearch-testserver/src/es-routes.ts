import type { Route } from './es-router.js';
import { aliasRoutes } from './es-routes-aliases.js';
import { bulkRoutes } from './es-routes-bulk.js';
import { clusterRoutes } from './es-routes-cluster.js';
import { docRoutes } from './es-routes-docs.js';
import { indexRoutes } from './es-routes-indices.js';

/** Every endpoint the server answers. A pattern starting with `{index}` never matches an `_api` segment, so order matters little. */
export const ROUTES: Route[] = [...clusterRoutes, ...bulkRoutes, ...docRoutes, ...aliasRoutes, ...indexRoutes];
