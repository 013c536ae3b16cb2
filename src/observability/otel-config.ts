/**
 * Tracing's settings, from the standard OpenTelemetry environment variables only (no Skiff flag):
 * whether traces are exported (an OTLP endpoint is set), how they are sampled, batched and which
 * service they come from. The OTLP exporter itself reads the endpoint, headers, timeout,
 * compression and certificates (OTEL_EXPORTER_OTLP_[TRACES_]*). Problems are warnings: a
 * misconfigured collector must not keep the apps from being served.
 */
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  type BatchSpanProcessorOptions,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';

export interface OtelConfig {
  /** An OTLP endpoint is set and neither OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none says no. */
  exporting: boolean;
  /** Where spans are POSTed: the traces endpoint as given, or the general one + `/v1/traces`. */
  tracesUrl: string | undefined;
  sampler: Sampler;
  batch: Omit<BatchSpanProcessorOptions, 'exporter'>;
  /** What was set but cannot be followed, each a sentence naming the variable. */
  warnings: string[];
}

/** The only protocol Skiff sends: OTLP/HTTP with protobuf bodies, the OTLP default. */
export const OTLP_PROTOCOL = 'http/protobuf';

const set = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

function samplerFrom(env: NodeJS.ProcessEnv, warnings: string[]): Sampler {
  const name = set(env.OTEL_TRACES_SAMPLER)?.toLowerCase() ?? 'parentbased_always_on';
  const arg = set(env.OTEL_TRACES_SAMPLER_ARG);
  const ratio = () => {
    if (arg === undefined) return 1;
    const value = Number(arg);
    if (Number.isFinite(value) && value >= 0 && value <= 1) return value;
    warnings.push(`OTEL_TRACES_SAMPLER_ARG=${arg} is not a ratio from 0 to 1; sampling every trace (1.0)`);
    return 1;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      warnings.push(
        `OTEL_TRACES_SAMPLER=${env.OTEL_TRACES_SAMPLER} is not one Skiff knows (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio); using parentbased_always_on`,
      );
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function batchFrom(env: NodeJS.ProcessEnv, warnings: string[]): OtelConfig['batch'] {
  const number = (name: string): number | undefined => {
    const text = set(env[name]);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (Number.isInteger(value) && value >= 0) return value;
    warnings.push(`${name}=${text} is not a whole number; using the default`);
    return undefined;
  };
  const options: OtelConfig['batch'] = {};
  const delay = number('OTEL_BSP_SCHEDULE_DELAY');
  const timeout = number('OTEL_BSP_EXPORT_TIMEOUT');
  const queue = number('OTEL_BSP_MAX_QUEUE_SIZE');
  const batch = number('OTEL_BSP_MAX_EXPORT_BATCH_SIZE');
  if (delay !== undefined) options.scheduledDelayMillis = delay;
  if (timeout !== undefined) options.exportTimeoutMillis = timeout;
  if (queue !== undefined) options.maxQueueSize = queue;
  if (batch !== undefined) options.maxExportBatchSize = batch;
  return options;
}

export function otelConfig(env: NodeJS.ProcessEnv = process.env): OtelConfig {
  const warnings: string[] = [];
  const general = set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const endpoint =
    set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ??
    (general === undefined ? undefined : `${general.replace(/\/+$/, '')}/v1/traces`);
  const disabled = set(env.OTEL_SDK_DISABLED)?.toLowerCase() === 'true';
  const exporters = (set(env.OTEL_TRACES_EXPORTER) ?? 'otlp').split(',').map((e) => e.trim().toLowerCase());
  let exporting = endpoint !== undefined && !disabled && !exporters.includes('none');
  if (exporting) {
    const others = exporters.filter((e) => e !== 'otlp');
    if (others.length > 0)
      warnings.push(
        `OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER}: Skiff exports to OTLP only; ignoring ${others.join(', ')}`,
      );
    if (!exporters.includes('otlp')) exporting = false;
    const protocol = set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? set(env.OTEL_EXPORTER_OTLP_PROTOCOL);
    if (protocol !== undefined && protocol !== OTLP_PROTOCOL)
      warnings.push(
        `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}: Skiff sends traces as ${OTLP_PROTOCOL} only (OTLP over HTTP, protobuf bodies); point the endpoint at the collector's OTLP/HTTP port (4318 by default)`,
      );
  }
  return {
    exporting,
    tracesUrl: endpoint,
    sampler: samplerFrom(env, warnings),
    batch: batchFrom(env, warnings),
    warnings,
  };
}
