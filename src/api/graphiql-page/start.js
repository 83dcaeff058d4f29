/* global React, ReactDOM, GraphiQL */
// Starts GraphiQL against this ledger's /graphql (and its WebSocket for subscriptions). The token
// goes in the Headers tab: {"Authorization": "Bearer gw1.…"}; GraphiQL keeps it in this browser.
(function () {
  var http = window.location.origin + '/graphql';
  var ws = http.replace(/^http/, 'ws');
  var fetcher = GraphiQL.createFetcher({ url: http, subscriptionUrl: ws });
  var defaultQuery = [
    '# 公文账本 GraphQL。先在下方 Headers 中填入令牌 (put your token in Headers):',
    '#   {"Authorization": "Bearer gw1.…"}',
    '# 令牌来自 `gongwen init`、`gongwen credential <userId>` 或演示数据 (demo-credentials.json)。',
    '{',
    '  me { userId unitId name roles }',
    '}',
    '',
  ].join('\n');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery, shouldPersistHeaders: true, isHeadersEditorEnabled: true }));
})();
