// What the gateway keeps, behind one interface: `createMemoryStore` for one process (the default),
// `createRedisStore` for several instances sharing one Redis. Money is in integer micro-dollars, so
// that Redis can add it atomically.

export const SCOPES = ['chat', 'models', 'projects', 'keys', 'batches', 'admin'] as const
export type Scope = typeof SCOPES[number]
export type Feature = 'chat' | 'responses' | 'messages' | 'embeddings' | 'batches'

export interface ApiKey {
  /** Public identifier, safe in URLs and logs; the secret itself is stored only as a hash. */
  id: string
  account: string
  project: string
  plan: string
  scopes: Scope[]
  /** Requests per rate-limit window. */
  rateLimit: number
  expiresAt?: number
  revoked?: boolean
}

export interface Project {
  id: string
  account: string
  name: string
  state: 'active' | 'archived'
  default?: boolean
  budgetMicros: number
  createdAt: number
}

export interface Plan {
  features: Feature[]
  /** Requests per key. */
  quota: number
}

/** Money and quota held for one request, between `reserve` and `settle` or `release`. */
export interface Reservation {
  project: string
  key: string
  micros: number
}

export type Charge =
  | { ok: true, reservation: Reservation }
  | { ok: false, reason: 'budget' | 'quota' }

export type IdempotencyClaim =
  | { state: 'new' }
  | { state: 'replay', response: unknown }
  | { state: 'conflict' }
  | { state: 'in_progress' }

export interface Attempts {
  count: number
  resetAt: number
}

export interface Store {
  findKey (secret: string): Promise<ApiKey | undefined>
  key (id: string): Promise<ApiKey | undefined>
  createKey (key: Omit<ApiKey, 'id'>): Promise<{ key: ApiKey, secret: string }>
  deleteKey (id: string): Promise<boolean>

  project (id: string): Promise<Project | undefined>
  /** False when the id is taken (checked and written at once). */
  createProject (project: Project): Promise<boolean>
  updateProject (id: string, patch: Partial<Pick<Project, 'name' | 'budgetMicros'>>): Promise<Project | undefined>
  deleteProject (id: string): Promise<void>
  spentMicros (project: string): Promise<number>

  /** Holds `micros` of the project's budget and one request of the key's quota, or says which ran out. */
  reserve (key: ApiKey, budgetMicros: number, quota: number, micros: number): Promise<Charge>
  /** The request cost `actualMicros`: the difference with the reservation is charged or given back. */
  settle (reservation: Reservation, actualMicros: number): Promise<void>
  /** The request failed before costing anything: budget and quota are given back. */
  release (reservation: Reservation): Promise<void>

  /** First writer wins: the caller that gets `new` runs the request, then `complete`s or `abandon`s it. */
  claimIdempotency (scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim>
  completeIdempotency (scope: string, key: string, response: unknown): Promise<void>
  abandonIdempotency (scope: string, key: string): Promise<void>

  mfaSecret (account: string): Promise<string | undefined>
  /** True once per account and TOTP time step: a code cannot be used twice, nor an older one after it. */
  useTotpStep (account: string, step: number): Promise<boolean>
  useRecoveryCode (account: string, code: string): Promise<boolean>

  /** Failed attempts counted in a window (per address for logins, per account for MFA). */
  failures (bucket: string): Promise<Attempts | undefined>
  fail (bucket: string, windowMs: number): Promise<Attempts>
  clearFailures (bucket: string): Promise<void>

  reserveBatchSlot (): Promise<boolean>
  close (): Promise<void>
}

export interface StoreOptions {
  /** How long an idempotency record is kept, in ms (24 h by default). */
  idempotencyTtlMs?: number
  /** The in-memory store's bound on idempotency records (the oldest goes first). */
  idempotencyMaxEntries?: number
}

export const DAY = 24 * 60 * 60 * 1000
/** How long a claimed idempotency key waits for its request to finish before another may run it. */
export const IDEMPOTENCY_PENDING_MS = 60_000
