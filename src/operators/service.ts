/**
 * The operator service: creating operators (directly, for the CLI's bootstrap and break-glass;
 * or pending an enrolment, once two admins agreed), enrolment, bearer tokens and TOTP step-up.
 *
 * A bearer token or an enrolment part is shown once; only a SHA-256 is kept (each carries 256
 * random bits, so a fast hash is enough: there is nothing to brute-force; see enrolment.ts). TOTP secrets are kept
 * sealed under the KEK (context `totp:<id>`), never plain.
 */
import { randomBytes } from 'node:crypto';
import { LifelineError } from '../errors/index.ts';
import { type Operator, type Role, roles } from './records.ts';
import { authenticate, sealStoredSecrets } from './credentials.ts';
import {
  type DirectWrite,
  hashSecret,
  newId,
  type OperatorServiceDeps,
  securityAlert,
  TOKEN_PREFIX,
} from './deps.ts';
import { addPending, enrol } from './onboarding.ts';
import { isRole, may, type Permission } from './permissions.ts';
import { stepUp } from './stepup.ts';
import { newTotpSecret, totpUri } from './totp.ts';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$/;

export type { Actor, DirectWrite, OperatorServiceDeps, OperatorSettings } from './deps.ts';

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
  async revokeDirect(name: string, actor: string, how: DirectWrite, reason?: string): Promise<Operator> {
    await this.#guardDirect(actor, 'operator.revoke', `operator:${name}`, how, {});
    return this.revoke(name, actor, reason);
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
    securityAlert(this.#d, kind, actor, detail);
  }

  /**
   * Creates an operator two admins agreed on: no token and no TOTP secret yet, only a one-time
   * enrolment. The approver's part of it is returned here; it redeems only together with the
   * requester's part (whose hash the request kept), so neither admin can enrol alone.
   */
  addPending(
    input: { name: string; role: Role },
    requesterPartHash: unknown,
    actor: string,
    details: Record<string, unknown>,
  ): Promise<{ operator: Operator; enrolmentToken: string; expiresAt: number }> {
    return addPending(this.#d, input, requesterPartHash, actor, details);
  }

  /**
   * Redeems an enrolment with both its parts (the approver's token and the requester's part): the
   * new operator receives their bearer token and TOTP URI, shown once. One code for a missing,
   * unknown, mismatched, spent or expired part, so guessing learns nothing.
   */
  enrol(
    token: string,
    requesterPart: unknown,
  ): Promise<{ operator: Operator; token: string; otpauthUri: string }> {
    return enrol(this.#d, token, requesterPart);
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

  /** Revokes at once; `reason`, when given, is kept in the audit entry's details. */
  async revoke(name: string, actor: string, reason?: string): Promise<Operator> {
    const operator = await this.active(name);
    await this.#d.audit.append({
      actor,
      action: 'operator.revoke',
      target: `operator:${name}`,
      details: reason === undefined ? { id: operator.id } : { id: operator.id, reason },
      result: 'accepted',
    });
    const at = this.#d.clock();
    await this.#d.store.revokeOperator(operator.id, at);
    return { ...operator, revokedAt: at };
  }

  /** Seals TOTP secrets stored plain before sealing existed; returns how many it converted. */
  sealStoredSecrets(): Promise<number> {
    return sealStoredSecrets(this.#d);
  }

  /** Resolves a bearer token to an active, enrolled operator, or throws OPERATOR_UNAUTHENTICATED. */
  authenticate(token: string | undefined): Promise<Operator> {
    return authenticate(this.#d, token);
  }

  /**
   * Spends a TOTP code of this operator (step-up); throws the TOTP_* codes. Wrong and replayed
   * codes are audited (never the code) and counted; reaching `maxFailures` within the window
   * locks the operator's step-up for `lockSeconds`, in the store, so on every node.
   */
  stepUp(operator: Operator, code: string | undefined): Promise<void> {
    return stepUp(this.#d, operator, code);
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
