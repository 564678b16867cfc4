/**
 * The SIEM export (issue 15, item 8): the audit stream as Elastic Common Schema JSON lines, to a
 * rotated file or to syslog (RFC 5424 over UDP or TCP). See docs/SIEM.md.
 */
export { ecsVersion, outcomeOf, toEcs } from './ecs.ts';
export { type ExporterDeps, SiemExporter } from './exporter.ts';
export { FileSink, type Sink, SyslogSink, syslogLine } from './sinks.ts';
