/** The object store's test support for other parts' tests: a gateway over a real engine. */
export { sdkClient, startTestGateway, type TestGateway } from './s3/test-gateway.js';
