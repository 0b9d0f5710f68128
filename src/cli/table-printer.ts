import type { Table, TableColumn, TableRow } from '../client/index.js';

/** How a Table is shown. */
export interface TableFormat {
  /** Include priority > 0 columns (`-o wide`). Default false. */
  wide?: boolean;
  /** Prepend a NAMESPACE column, read from each row's object (`-A`). Default false. */
  withNamespace?: boolean;
  /** Prefix the NAME column with `kind.group/` (when several types are shown). Default none. */
  namePrefix?: string;
  /** Print the header line. Default true. */
  header?: boolean;
}

// kubectl's tabwriter: minimum cell width 6, padding 3, the last column unpadded.
const MIN_WIDTH = 6;
const PADDING = 3;

/**
 * Formats Tables as kubectl prints them: upper-case headers, columns padded to the widest cell
 * plus three spaces. Widths are remembered across calls (kubectl's RememberWidths), so rows
 * printed one at a time under `get -w` stay aligned with the header. Pure.
 */
export class TablePrinter {
  private widths: number[] = [];
  private readonly format: TableFormat;

  constructor(format: TableFormat = {}) {
    this.format = format;
  }

  /** The lines (each ending in a newline) for a table's header (unless disabled) and rows. */
  print(table: Pick<Table, 'columnDefinitions' | 'rows'>, options: { header?: boolean } = {}): string {
    const columns = table.columnDefinitions
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => this.format.wide || !c.priority);
    const lines: string[][] = [];
    if (options.header ?? this.format.header ?? true) {
      const head = columns.map(({ c }) => c.name.toUpperCase());
      lines.push(this.format.withNamespace ? ['NAMESPACE', ...head] : head);
    }
    for (const row of table.rows) lines.push(this.cells(row, columns));
    for (const line of lines) {
      line.forEach((cell, i) => {
        this.widths[i] = Math.max(this.widths[i] ?? MIN_WIDTH, cell.length + PADDING);
      });
    }
    return lines
      .map((line) =>
        line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(this.widths[i] ?? 0))).join(''),
      )
      .map((l) => l + '\n')
      .join('');
  }

  private cells(row: TableRow, columns: Array<{ c: TableColumn; i: number }>): string[] {
    const out = columns.map(({ c, i }) => {
      const text = cellText(row.cells[i]);
      return c.name.toLowerCase() === 'name' && this.format.namePrefix
        ? `${this.format.namePrefix}/${text}`
        : text;
    });
    if (this.format.withNamespace) out.unshift(row.object?.metadata?.namespace ?? '');
    return out;
  }
}

/** A cell as kubectl prints it: strings cut at the first line break, nulls as `<none>`. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '<none>';
  if (typeof value === 'string') return value.split(/[\r\n\f]/, 1)[0] ?? '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * A duration as kubectl's AGE column shows it (`45s`, `3m12s`, `5h`, `2d3h`, `1y20d`): fine
 * when recent, coarse when old. Negative durations beyond a second are `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (days < 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}
