/**
 * The operator service: creating operators (directly, for the CLI's bootstrap and break-glass;
 * or pending an enrolment, once two admins agreed), enrolment, bearer tokens and TOTP step-up.
 *
 * A bearer token or an enrolment part is shown once; only a SHA-256 is kept (each carries 256
 * random bits, so a fast hash is enough: there is nothing to brute-force; see enrolment.ts). TOTP secrets are kept
 * sealed under the KEK (context `totp:<id>`), never plain.
 */
import type { OperatorRecords } from '../store/index.ts';
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import { Sealer } from '../secrets/index.ts';
import { type Operator, type Role, roles } from './records.ts';
import { enrolmentHash, hashRequesterPart, isRequesterPartHash } from './enrolment.ts';
import { isRole, may, type Permission } from './permissions.ts';
import { newTotpSecret, spendTotp, totpUri } from './totp.ts';

const TOKEN_PREFIX = 'llo_';
const ENROLMENT_PREFIX = 'lle_';
const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');
const newId = (): string => randomUUID().replaceAll('-', '').slice(0, 16);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$/;

/** The operator an admin request acts as; `cli:<user>` when the CLI writes the store directly. */
export interface Actor {
  name: string;
  role: Role;
}

/** The `operators` config section. */
export interface OperatorSettings {
  enrolmentTtlSeconds: number;
  stepUp: { maxFailures: number; windowSeconds: number; lockSeconds: number };
}

export interface OperatorServiceDeps {
  store: OperatorRecords;
  audit: AuditLog;
  clock: () => number;
  /** Seals TOTP secrets at rest. */
  sealer: Sealer;
  settings: OperatorSettings;
  /** Where security alerts go (break-glass, a step-up lock); the CLI has none. */
  events?: EventStream;
  logger?: Logger;
}

/** How a CLI direct write came to be allowed: no admin yet, or break-glass. */
export interface DirectWrite {
  breakGlass: boolean;
}

export class OperatorService {
  readonly #d: OperatorServiceDeps;

  constructor(deps: OperatorServiceDeps) {
    this.#d = deps;
  }

  /** Throws VALIDATION_FAILED unless `name` and `role` are acceptable for a new operator. */
  static validate(input: { name: string; role: string }): asserts input is { name: string; role: Role } {
    if (!NAME.test(input.name)) {
      throw new LifelineError('VALIDATION_FAILED', 'An operator name is 1–64 letters, digits, . _ @ or -');
    }
    if (!isRole(input.role)) {
      throw new LifelineError(
        'VALIDATION_FAILED',
        `Unknown role "${input.role}"; one of ${roles.join(', ')}`,
      );
    }
  }

  /**
   * Creates an operator with a TOTP secret and returns its bearer token and otpauth:// URI,
   * neither of which is shown again. A trusted path: the CLI (through `addDirect`) and tests; the
   * admin API never reaches it, since there a new operator needs two admins and enrols alone.
   */
  async add(
    input: { name: string; role: string },
    actor: string,
  ): Promise<{ operator: Operator; token: string; otpauthUri: string }> {
    OperatorService.validate(input);
    if (await this.#d.store.findOperator({ name: input.name })) {
      throw new LifelineError('OPERATOR_EXISTS', `An operator named ${input.name} already exists`);
    }
    const id = newId();
    const secret = randomBytes(32).toString('base64url');
    const totp = newTotpSecret();
    const operator: Operator = {
      id,
      name: input.name,
      role: input.role,
      tokenHash: hashSecret(secret),
      totpSecret: this.#d.sealer.seal(totp, `totp:${id}`),
      createdAt: this.#d.clock(),
      revokedAt: null,
      enrolledAt: null,
      roleChangedAt: null,
    };
    await this.#d.audit.append({
      actor,
      action: 'operator.add',
      target: `operator:${input.name}`,
      details: { id, role: input.role },
      result: 'accepted',
    });
    await this.#d.store.addOperator(operator);
    return { operator, token: `${TOKEN_PREFIX}${id}.${secret}`, otpauthUri: totpUri(operator.name, totp) };
  }

  /**
   * The CLI's direct write: allowed on a store with no active admin (the bootstrap); otherwise
   * refused unless `breakGlass`, which is audited and raises an alert.
   */
  async addDirect(
    input: { name: string; role: string },
    actor: string,
    how: DirectWrite,
  ): Promise<{ operator: Operator; token: string; otpauthUri: string }> {
    OperatorService.validate(input);
    // Whoever runs the CLI can read the store: saying the name is taken tells them nothing new.
    if (await this.#d.store.findOperator({ name: input.name })) {
      throw new LifelineError('OPERATOR_EXISTS', `An operator named ${input.name} already exists`);
    }
    await this.#guardDirect(actor, 'operator.add', `operator:${input.name}`, how, { role: input.role });
    return this.add(input, actor);
  }

  /** The CLI's direct revoke, under the same rule as `addDirect`. */
  async revokeDirect(name: string, actor: string, how: DirectWrite): Promise<Operator> {
    await this.#guardDirect(actor, 'operator.revoke', `operator:${name}`, how, {});
    return this.revoke(name, actor);
  }

  async #guardDirect(
    actor: string,
    write: string,
    target: string,
    how: DirectWrite,
    details: Record<string, unknown>,
  ): Promise<void> {
    const admins = (await this.#d.store.listOperators()).filter(
      (o) => o.role === 'admin' && o.revokedAt === null,
    );
    if (admins.length === 0) return;
    if (!how.breakGlass) {
      throw new LifelineError('OPERATOR_DIRECT_WRITE_REFUSED', undefined, {
        details: { admins: admins.length },
      });
    }
    await this.#d.audit.append({
      actor,
      action: 'operator.break-glass',
      target,
      details: { ...details, write, admins: admins.length },
      result: 'accepted',
    });
    this.alert('break-glass', actor, `${write} ${target}`);
  }

  /** An error log line and a `security.alert` event (the metric counts those). */
  alert(kind: string, actor: string, detail: string): void {
    this.#d.logger?.error({ alert: kind, actor, detail }, `security alert: ${kind}`);
    this.#d.events?.emit('security.alert', { kind, actor, detail });
  }

  /**
   * Creates an operator two admins agreed on: no token and no TOTP secret yet, only a one-time
   * enrolment. The approver's part of it is returned here; it redeems only together with the
   * requester's part (whose hash the request kept), so neither admin can enrol alone.
   */
  async addPending(
    input: { name: string; role: Role },
    requesterPartHash: unknown,
    actor: string,
    details: Record<string, unknown>,
  ): Promise<{ operator: Operator; enrolmentToken: string; expiresAt: number }> {
    const d = this.#d;
    if (!isRequesterPartHash(requesterPartHash))
      throw new LifelineError('VALIDATION_FAILED', 'This request holds no requester part; ask again');
    const id = newId();
    const secret = randomBytes(32).toString('base64url');
    const enrolmentToken = `${ENROLMENT_PREFIX}${id}.${secret}`;
    const now = d.clock();
    const expiresAt = now + d.settings.enrolmentTtlSeconds * 1000;
    const operator: Operator = {
      id,
      name: input.name,
      role: input.role,
      tokenHash: '',
      totpSecret: null,
      createdAt: now,
      revokedAt: null,
      enrolledAt: null,
      roleChangedAt: null,
    };
    await d.audit.append({
      actor,
      action: 'operator.add',
      target: `operator:${input.name}`,
      details: { ...details, id, role: input.role, enrolmentExpiresAt: expiresAt },
      result: 'pending-enrolment',
    });
    await d.store.addOperator(operator, {
      hash: enrolmentHash(requesterPartHash, enrolmentToken),
      expiresAt,
    });
    return { operator, enrolmentToken, expiresAt };
  }

  /**
   * Redeems an enrolment with both its parts (the approver's token and the requester's part): the
   * new operator receives their bearer token and TOTP URI, shown once. One code for a missing,
   * unknown, mismatched, spent or expired part, so guessing learns nothing.
   */
  async enrol(
    token: string,
    requesterPart: unknown,
  ): Promise<{ operator: Operator; token: string; otpauthUri: string }> {
    const d = this.#d;
    const m = /^lle_([0-9a-f]{16})\.[A-Za-z0-9_-]{43}$/.exec(token);
    const requesterPartHash = hashRequesterPart(requesterPart);
    if (!m || requesterPartHash === null) throw new LifelineError('ENROLMENT_INVALID');
    const id = m[1] as string;
    const secret = randomBytes(32).toString('base64url');
    const totp = newTotpSecret();
    const operator = await d.store.redeemEnrolment(id, enrolmentHash(requesterPartHash, token), d.clock(), {
      tokenHash: hashSecret(secret),
      totpSecret: d.sealer.seal(totp, `totp:${id}`),
    });
    if (!operator) throw new LifelineError('ENROLMENT_INVALID');
    await d.audit.append({
      actor: operator.name,
      action: 'operator.enrol',
      target: `operator:${operator.name}`,
      details: { id, role: operator.role },
      result: 'accepted',
    });
    return { operator, token: `${TOKEN_PREFIX}${id}.${secret}`, otpauthUri: totpUri(operator.name, totp) };
  }

  /** Gives an active operator another role (after two admins agreed). */
  async changeRole(
    name: string,
    role: Role,
    actor: string,
    details: Record<string, unknown>,
  ): Promise<Operator> {
    const d = this.#d;
    const operator = await this.active(name);
    const at = d.clock();
    await d.audit.append({
      actor,
      action: 'operator.role',
      target: `operator:${name}`,
      details: { ...details, id: operator.id, from: operator.role, to: role },
      result: 'accepted',
    });
    if (!(await d.store.setOperatorRole(operator.id, role, at)))
      throw new LifelineError('OPERATOR_NOT_FOUND', `No active operator named ${name}`);
    return { ...operator, role, roleChangedAt: at };
  }

  /** The active operator of that name, or OPERATOR_NOT_FOUND. */
  async active(name: string): Promise<Operator> {
    const operator = await this.#d.store.findOperator({ name });
    if (!operator || operator.revokedAt !== null)
      throw new LifelineError('OPERATOR_NOT_FOUND', `No active operator named ${name}`);
    return operator;
  }

  /** Since when the operator holds the power they have now: created, enrolled or given the role. */
  static since(operator: Operator): number {
    return Math.max(operator.createdAt, operator.enrolledAt ?? 0, operator.roleChangedAt ?? 0);
  }

  async list(): Promise<Operator[]> {
    return this.#d.store.listOperators();
  }

  async revoke(name: string, actor: string): Promise<Operator> {
    const operator = await this.active(name);
    await this.#d.audit.append({
      actor,
      action: 'operator.revoke',
      target: `operator:${name}`,
      details: { id: operator.id },
      result: 'accepted',
    });
    const at = this.#d.clock();
    await this.#d.store.revokeOperator(operator.id, at);
    return { ...operator, revokedAt: at };
  }

  /** Seals TOTP secrets stored plain before sealing existed; returns how many it converted. */
  async sealStoredSecrets(): Promise<number> {
    let sealed = 0;
    for (const o of await this.#d.store.listOperators()) {
      if (o.totpSecret === null || Sealer.isSealed(o.totpSecret)) continue;
      const to = this.#d.sealer.seal(o.totpSecret, `totp:${o.id}`);
      if (await this.#d.store.replaceTotpSecret(o.id, o.totpSecret, to)) sealed++;
    }
    return sealed;
  }

  /** Resolves a bearer token to an active, enrolled operator, or throws OPERATOR_UNAUTHENTICATED. */
  async authenticate(token: string | undefined): Promise<Operator> {
    const fail = (): never => {
      throw new LifelineError('OPERATOR_UNAUTHENTICATED');
    };
    if (!token?.startsWith(TOKEN_PREFIX)) return fail();
    const dot = token.indexOf('.');
    if (dot < 0) return fail();
    const id = token.slice(TOKEN_PREFIX.length, dot);
    const operator = await this.#d.store.findOperator({ id });
    if (!operator || operator.revokedAt !== null || operator.tokenHash === '') return fail();
    const given = Buffer.from(hashSecret(token.slice(dot + 1)), 'hex');
    const stored = Buffer.from(operator.tokenHash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return fail();
    return operator;
  }

  /**
   * Spends a TOTP code of this operator (step-up); throws the TOTP_* codes. Wrong and replayed
   * codes are audited (never the code) and counted; reaching `maxFailures` within the window
   * locks the operator's step-up for `lockSeconds`, in the store, so on every node.
   */
  async stepUp(operator: Operator, code: string | undefined): Promise<void> {
    const d = this.#d;
    const now = d.clock();
    const lockedUntil = await d.store.stepUpLockedUntil(operator.id);
    if (lockedUntil !== null && lockedUntil > now) {
      await d.audit.append({
        actor: operator.name,
        action: 'stepup.refused',
        target: `operator:${operator.name}`,
        details: { code: 'TOTP_LOCKED', lockedUntil },
        result: 'denied',
      });
      throw locked(lockedUntil, now);
    }
    // Read afresh: the request's copy may predate the start-up conversion or an enrolment.
    const current = (await d.store.findOperator({ id: operator.id })) ?? operator;
    const stored = current.totpSecret;
    // Start-up sealed every plain secret; one found plain now was written straight to the store by
    // someone who cannot seal, so it vouches for nothing.
    if (stored !== null && !Sealer.isSealed(stored)) {
      d.logger?.error(
        { operator: operator.name },
        'a TOTP secret in the store is not sealed; step-up refused',
      );
      throw new LifelineError('SECRET_CORRUPT', undefined, { details: { context: `totp:${operator.id}` } });
    }
    const secret = stored === null ? null : d.sealer.openText(stored, `totp:${operator.id}`);
    try {
      await spendTotp(d.store, { ...current, totpSecret: secret }, code, now);
    } catch (err) {
      if (err instanceof LifelineError && (err.code === 'TOTP_INVALID' || err.code === 'TOTP_REPLAYED'))
        await this.#failed(operator, err.code, now);
      throw err;
    }
  }

  async #failed(operator: Operator, reason: string, now: number): Promise<void> {
    const d = this.#d;
    const { maxFailures, windowSeconds, lockSeconds } = d.settings.stepUp;
    await d.audit.append({
      actor: operator.name,
      action: 'stepup.failed',
      target: `operator:${operator.name}`,
      details: { reason },
      result: 'denied',
    });
    const failures = await d.store.recordStepUpFailure(operator.id, now, now - windowSeconds * 1000);
    d.logger?.warn({ operator: operator.name, reason, failures }, 'failed TOTP step-up');
    if (failures < maxFailures) return;
    const until = now + lockSeconds * 1000;
    await d.store.lockStepUp(operator.id, until);
    await d.audit.append({
      actor: operator.name,
      action: 'stepup.locked',
      target: `operator:${operator.name}`,
      details: { failures, windowSeconds, lockedUntil: until },
      result: 'locked',
    });
    this.alert('totp-locked', operator.name, `${failures} failed step-ups in ${windowSeconds}s`);
    throw locked(until, now);
  }

  /**
   * Throws OPERATOR_FORBIDDEN when the role may not do this. The refusal is audited: a viewer
   * trying to kick is exactly what an incident review wants to find.
   */
  async authorize(operator: Operator, permission: Permission, target: string): Promise<void> {
    if (may(operator.role, permission)) return;
    await this.#d.audit.append({
      actor: operator.name,
      action: permission,
      target,
      details: { role: operator.role },
      result: 'denied',
    });
    throw new LifelineError('OPERATOR_FORBIDDEN', `Role ${operator.role} may not ${permission}`);
  }
}

function locked(until: number, now: number): LifelineError {
  return new LifelineError('TOTP_LOCKED', undefined, {
    details: {
      retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)),
      lockedUntil: new Date(until).toISOString(),
    },
  });
}
