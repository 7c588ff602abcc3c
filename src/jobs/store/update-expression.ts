/**
 * Builds one DynamoDB update: its SET and REMOVE clauses and its condition, with every attribute
 * name and value behind a generated placeholder. Why: names like `status` are reserved words, map
 * keys such as claim ids are data, and hand-kept `#x`/`:x` maps drift from the expressions using them.
 */

/**
 * An attribute path: `'leases.c1.expiresAt'` or `'attemptLog[3].outcome'`, or its segments
 * (`['leases', claimId, 'expiresAt']`, numbers for list positions) when a key is data, so a dot in
 * it is never read as nesting.
 */
export type Path = string | readonly (string | number)[];

/** The expression fields of an UpdateCommand (or a transaction's Update), ready to spread into it. */
export interface UpdateParts {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

export class UpdateExpressionBuilder {
  /** Attribute name to placeholder: a name used twice shares one placeholder. */
  private readonly names = new Map<string, string>();
  private readonly values: Record<string, unknown> = {};
  private valueCount = 0;
  private readonly assignments: string[] = [];
  private readonly removals: string[] = [];
  private readonly conditions: string[] = [];

  set(path: Path, value: unknown): this {
    this.assignments.push(`${this.path(path)} = ${this.value(value)}`);
    return this;
  }

  /** `path + amount`, unlike DynamoDB's ADD: a missing attribute fails the write rather than starting at zero. */
  add(path: Path, amount: number): this {
    const target = this.path(path);
    this.assignments.push(`${target} = ${target} + ${this.value(amount)}`);
    return this;
  }

  /** One more in a counter that may not exist yet (it starts at zero). */
  increment(path: Path): this {
    const target = this.path(path);
    this.assignments.push(`${target} = if_not_exists(${target}, ${this.value(0)}) + ${this.value(1)}`);
    return this;
  }

  /** Sets the attribute unless it already has a value. */
  setIfMissing(path: Path, value: unknown): this {
    const target = this.path(path);
    this.assignments.push(`${target} = if_not_exists(${target}, ${this.value(value)})`);
    return this;
  }

  /** Adds `items` at the end of a list attribute, unread: two writers' items both stay. */
  append(path: Path, items: readonly unknown[]): this {
    const target = this.path(path);
    this.assignments.push(`${target} = list_append(${target}, ${this.value(items)})`);
    return this;
  }

  remove(path: Path): this {
    this.removals.push(this.path(path));
    return this;
  }

  /** Requires every condition given, and those of earlier calls: the write happens only if all hold. */
  when(...conditions: string[]): this {
    this.conditions.push(...conditions);
    return this;
  }

  // Conditions come back as text for `when`, `anyOf` and `allOf`; their placeholders are already registered.

  equals(path: Path, value: unknown): string {
    return `${this.path(path)} = ${this.value(value)}`;
  }

  isOneOf(path: Path, values: readonly unknown[]): string {
    return `${this.path(path)} IN (${values.map((v) => this.value(v)).join(', ')})`;
  }

  atMost(path: Path, value: unknown): string {
    return `${this.path(path)} <= ${this.value(value)}`;
  }

  lessThan(path: Path, value: unknown): string {
    return `${this.path(path)} < ${this.value(value)}`;
  }

  exists(path: Path): string {
    return `attribute_exists(${this.path(path)})`;
  }

  notExists(path: Path): string {
    return `attribute_not_exists(${this.path(path)})`;
  }

  anyOf(...conditions: string[]): string {
    return `(${conditions.join(' OR ')})`;
  }

  allOf(...conditions: string[]): string {
    return `(${conditions.join(' AND ')})`;
  }

  build(): UpdateParts {
    const clauses = [];
    if (this.assignments.length > 0) clauses.push(`SET ${this.assignments.join(', ')}`);
    if (this.removals.length > 0) clauses.push(`REMOVE ${this.removals.join(', ')}`);
    return {
      UpdateExpression: clauses.join(' '),
      // DynamoDB rejects an empty condition or an empty value map, so they are left out instead.
      ...(this.conditions.length > 0 ? { ConditionExpression: this.conditions.join(' AND ') } : {}),
      ExpressionAttributeNames: Object.fromEntries([...this.names].map(([name, placeholder]) => [placeholder, name])),
      ...(this.valueCount > 0 ? { ExpressionAttributeValues: { ...this.values } } : {}),
    };
  }

  private path(path: Path): string {
    const segments = typeof path === 'string' ? parsePath(path) : path;
    return segments
      .map((segment, i) =>
        typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${this.name(segment)}`,
      )
      .join('');
  }

  private name(name: string): string {
    let placeholder = this.names.get(name);
    if (placeholder === undefined) {
      placeholder = `#n${this.names.size}`;
      this.names.set(name, placeholder);
    }
    return placeholder;
  }

  private value(value: unknown): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}

/** `'attemptLog[3].outcome'` as `['attemptLog', 3, 'outcome']`. */
function parsePath(path: string): (string | number)[] {
  return (path.match(/\[\d+\]|[^.[\]]+/g) ?? []).map((token) =>
    token.startsWith('[') ? Number(token.slice(1, -1)) : token,
  );
}
