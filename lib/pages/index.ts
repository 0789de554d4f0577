// The error pages (`docsRoute`): a page per code, HTML for browsers, JSON when asked; what `doc_url` links to.
export { registerDocsRoutes } from './routes'
