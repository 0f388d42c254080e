/**
 * Start Swagger UI on /docs from the vendored bundle (static/vendor/swagger-ui).
 *
 * A classic script rather than an ES module because swagger-ui-bundle.js defines the global
 * `SwaggerUIBundle`; it lives in its own file because the Content-Security-Policy allows no
 * inline script. The OpenAPI URL comes from the page (`data-openapi-url`).
 */
(function startSwaggerUi() {
  "use strict";
  const root = document.getElementById("swagger-ui");
  if (root === null) {
    throw new Error("api_docs.js: no #swagger-ui element on this page");
  }
  if (typeof window.SwaggerUIBundle !== "function") {
    throw new Error("api_docs.js: swagger-ui-bundle.js did not load");
  }
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl || "/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    // no deep links: Swagger UI puts them as links inside the summary buttons (a focusable
    // element inside another, which screen readers cannot reach)
    deepLinking: false,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // the public validator is an external origin: never contact it
    presets: [window.SwaggerUIBundle.presets.apis],
  });
})();
