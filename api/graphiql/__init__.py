"""GraphiQL served from this package's own files: the page, its CSP and its static assets."""
