// The whole GraphQL lifecycle (test/api/graphql-lifecycle.test.ts), unchanged, with the events in
// EventStoreDB — here the gRPC test double — while read models, checkpoints and the Merkle log
// stay in PostgreSQL. createTestLedger reads the switch below.
process.env.GONGWEN_TEST_EVENT_STORE = 'eventstoredb';
await import('./graphql-lifecycle.test.ts');
