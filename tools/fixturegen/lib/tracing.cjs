'use strict';
// OpenTelemetry JS SDK 3.x setup: TracerProvider + SimpleSpanProcessor + InMemorySpanExporter.
// No network exporter is configured; the only network traffic is to the loopback fake provider.
const api = require('@opentelemetry/api');
const { TracerProvider, SimpleSpanProcessor, InMemorySpanExporter } = require('@opentelemetry/sdk-trace');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { resourceFromAttributes, defaultResource } = require('@opentelemetry/resources');

function setupTracing(serviceName, extraProcessors = []) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName })),
    spanProcessors: [...extraProcessors, new SimpleSpanProcessor({ exporter })],
  });
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.trace.setGlobalTracerProvider(provider);
  return {
    provider,
    exporter,
    async take() {
      await provider.forceFlush();
      const spans = exporter.getFinishedSpans().slice();
      exporter.reset();
      return spans;
    },
  };
}

module.exports = { setupTracing };
