/**
 * The path a deployment probes for readiness (bus up, initial sync done, graph answering): the
 * Dockerfile's HEALTHCHECK and the Kubernetes readinessProbe name it, and the tests that run
 * them probe it through this one constant.
 */
export const READINESS_PATH = '/readyz';
