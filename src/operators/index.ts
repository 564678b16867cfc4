/**
 * Operators of the admin plane: who they are, what their role lets them do, and their bearer
 * tokens. A token is shown once; only its SHA-256 is kept (it carries 256 random bits, so a fast
 * hash is enough: there is nothing to brute-force).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import { type Operator, type RecordStore, type Role, roles } from '../store/index.ts';
import { newTotpSecret, spendTotp, totpUri } from './totp.ts';

export { newTotpSecret, spendTotp, totpUri } from './totp.ts';

/** Which roles may do what. Anything not listed here is refused. */
export const permissions = {
  'sessions.read': ['viewer', 'operator', 'admin'],
  'commands.read': ['viewer', 'operator', 'admin', 'auditor'],
  'commands.kick': ['operator', 'admin'],
  'commands.kick.bulk': ['admin'],
  'commands.halt': ['operator', 'admin'],
  'breaker.read': ['viewer', 'operator', 'admin', 'auditor'],
  'breaker.reset': ['admin'],
  'flags.read': ['viewer', 'operator', 'admin', 'auditor'],
  'flags.write': ['admin'],
  'restores.read': ['viewer', 'operator', 'admin', 'auditor'],
  'restores.start': ['operator', 'admin'],
  'restores.start.bulk': ['admin'],
  'restores.control': ['operator', 'admin'],
  'disruptions.read': ['viewer', 'operator', 'admin', 'auditor'],
  'bans.read': ['viewer', 'operator', 'admin', 'auditor'],
  'bans.write': ['admin'],
  'audit.read': ['auditor', 'admin'],
  'operators.manage': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

export function may(role: Role, permission: Permission): boolean {
  return (permissions[permission] as readonly Role[]).includes(role);
}

const TOKEN_PREFIX = 'llo_';
const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** The operator an admin request acts as; `cli:<user>` when the CLI writes the store directly. */
export interface Actor {
  name: string;
  role: Role;
}

export class OperatorService {
  readonly #store: RecordStore;
  readonly #audit: AuditLog;
  readonly #clock: () => number;

  constructor(deps: { store: RecordStore; audit: AuditLog; clock: () => number }) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
  }

  /**
   * Creates an operator with a TOTP secret and returns its bearer token and otpauth:// URI,
   * neither of which is shown again.
   */
  async add(
    input: { name: string; role: string },
    actor: string,
  ): Promise<{ operator: Operator; token: string; otpauthUri: string }> {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$/.test(input.name)) {
      throw new LifelineError('VALIDATION_FAILED', 'An operator name is 1–64 letters, digits, . _ @ or -');
    }
    if (!isRole(input.role)) {
      throw new LifelineError(
        'VALIDATION_FAILED',
        `Unknown role "${input.role}"; one of ${roles.join(', ')}`,
      );
    }
    if (await this.#store.findOperator({ name: input.name })) {
      throw new LifelineError('OPERATOR_EXISTS', `An operator named ${input.name} already exists`);
    }
    const id = randomUUID().replaceAll('-', '').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    const operator: Operator = {
      id,
      name: input.name,
      role: input.role,
      tokenHash: hashSecret(secret),
      totpSecret: newTotpSecret(),
      createdAt: this.#clock(),
      revokedAt: null,
    };
    await this.#audit.append({
      actor,
      action: 'operator.add',
      target: `operator:${input.name}`,
      details: { id, role: input.role },
      result: 'accepted',
    });
    await this.#store.addOperator(operator);
    return {
      operator,
      token: `${TOKEN_PREFIX}${id}.${secret}`,
      otpauthUri: totpUri(operator.name, operator.totpSecret as string),
    };
  }

  async list(): Promise<Operator[]> {
    return this.#store.listOperators();
  }

  async revoke(name: string, actor: string): Promise<Operator> {
    const operator = await this.#store.findOperator({ name });
    if (!operator || operator.revokedAt !== null)
      throw new LifelineError('OPERATOR_NOT_FOUND', `No active operator named ${name}`);
    await this.#audit.append({
      actor,
      action: 'operator.revoke',
      target: `operator:${name}`,
      details: { id: operator.id },
      result: 'accepted',
    });
    const at = this.#clock();
    await this.#store.revokeOperator(operator.id, at);
    return { ...operator, revokedAt: at };
  }

  /** Resolves a bearer token to an active operator, or throws OPERATOR_UNAUTHENTICATED. */
  async authenticate(token: string | undefined): Promise<Operator> {
    const fail = (): never => {
      throw new LifelineError('OPERATOR_UNAUTHENTICATED');
    };
    if (!token?.startsWith(TOKEN_PREFIX)) return fail();
    const dot = token.indexOf('.');
    if (dot < 0) return fail();
    const id = token.slice(TOKEN_PREFIX.length, dot);
    const operator = await this.#store.findOperator({ id });
    if (!operator || operator.revokedAt !== null) return fail();
    const given = Buffer.from(hashSecret(token.slice(dot + 1)), 'hex');
    const stored = Buffer.from(operator.tokenHash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return fail();
    return operator;
  }

  /** Spends a TOTP code of this operator (step-up); throws the TOTP_* codes. */
  async stepUp(operator: Operator, code: string | undefined): Promise<void> {
    await spendTotp(this.#store, operator, code, this.#clock());
  }

  /**
   * Throws OPERATOR_FORBIDDEN when the role may not do this. The refusal is audited: a viewer
   * trying to kick is exactly what an incident review wants to find.
   */
  async authorize(operator: Operator, permission: Permission, target: string): Promise<void> {
    if (may(operator.role, permission)) return;
    await this.#audit.append({
      actor: operator.name,
      action: permission,
      target,
      details: { role: operator.role },
      result: 'denied',
    });
    throw new LifelineError('OPERATOR_FORBIDDEN', `Role ${operator.role} may not ${permission}`);
  }
}
