/**
 * Log lines as sops prints them. sops logs through logrus with its text
 * formatter (no terminal: `[LOGGER]\t time="…" level=… msg=…`) and, in a
 * few places (`updatekeys`), through Go's standard `log` package. Scripts
 * grep these lines, so the shape is kept; timestamps are local time as
 * logrus stamps them.
 *
 * @module
 */
import { goQuote } from '../gofmt.js';
import type { CliIo, Parsed } from './common.js';

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** RFC 3339 in local time, seconds precision (logrus's default stamp). */
export function localRfc3339(d: Date): string {
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`;
}

/** logrus's TextFormatter rule: bare when only "safe" characters, Go-quoted otherwise. */
export function logValue(v: string): string {
  return /^[A-Za-z0-9\-._/@^+]+$/.test(v) ? v : goQuote(v);
}

/** Levels sops uses. */
export type LogLevel = 'info' | 'warning' | 'error' | 'fatal';

/** One logrus line (with its newline): `[CMD]\t time="…" level=warning msg="…" field=…`. */
export function logrusLine(logger: string, level: LogLevel, msg: string, fields: Record<string, string> = {}): string {
  let line = `[${logger}]\t time="${localRfc3339(new Date())}" level=${level} msg=${logValue(msg)}`;
  for (const k of Object.keys(fields).sort()) line += ` ${k}=${logValue(fields[k]!)}`;
  return line + '\n';
}

/** A line of Go's standard `log` package: `2006/01/02 15:04:05 msg`. */
export function goLogLine(msg: string): string {
  const d = new Date();
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${msg}\n`;
}

/** Print a logrus warning (from sops's `CMD` logger unless named). */
export function warn(io: CliIo, msg: string, logger = 'CMD', fields: Record<string, string> = {}): void {
  io.stderr(logrusLine(logger, 'warning', msg, fields));
}

/** sops's `warnMoreThanOnePositionalArgument`: only the first file is used. */
export function warnExtraArguments(p: Parsed, io: CliIo): void {
  if (p.files.length <= 1) return;
  warn(io, 'More than one positional argument provided. Only the first one will be used!');
  const flag = p.files.slice(1).filter((a) => a.startsWith('-')).pop();
  if (flag !== undefined) {
    warn(io, `Note that one of the ignored positional argument is ${goQuote(flag)}, which looks like a flag. Flags must always be provided before the first positional argument!`);
  }
}
