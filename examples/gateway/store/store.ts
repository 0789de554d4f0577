// What the gateway keeps, behind one interface: `createMemoryStore` for one process (the default),
// `createRedisStore` for several instances sharing one Redis. Money is in integer micro-dollars, so
// that Redis can add it atomically. Projects are named within their account (two accounts may both
// have a `proj-main`), and every lookup of one names its account.

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
  /** Whose rate-limit window the key counts in: a key made by a key (not an admin) shares its maker's. */
  limitBucket?: string
  expiresAt?: number
  revoked?: boolean
}

export interface Project {
  id: string
  account: string
  name: string
  /** A deleted project is kept (what it spent stays spent; its id is not given out again), its keys are not. */
  state: 'active' | 'archived' | 'deleted'
  default?: boolean
  budgetMicros: number
  createdAt: number
}

export interface Plan {
  features: Feature[]
  /** Requests per project (every key of the project counts against it). */
  quota: number
}

/**
 * Money and quota held for one request, between `reserve` and `settle` or `release`. It is held on
 * a lease its request renews while it runs: if the instance serving it dies, the lease expires and
 * any instance's sweep settles it at what it had delivered (nothing delivered: all given back).
 */
export interface Reservation {
  id: string
  account: string
  project: string
  micros: number
}

/** A limit on attempts (failed logins per address, MFA codes per account) in a window. */
export interface AttemptLimit {
  bucket: string
  limit: number
  windowMs: number
}

/**
 * What a secret is, judged and counted at once: an unknown secret counts as a failed attempt in
 * the same step that finds it unknown, so a burst of guesses cannot all be checked before the count.
 */
export type KeyCheck =
  | { state: 'found', key: ApiKey }
  | { state: 'unknown' }
  | { state: 'locked', resetAt: number }

/** An attempt counted before it is judged: `allowed` is false once the window's limit is passed. */
export interface Attempt {
  allowed: boolean
  resetAt: number
}

export type Charge =
  | { ok: true, reservation: Reservation }
  | { ok: false, reason: 'budget' | 'quota' }

export type IdempotencyClaim =
  | { state: 'new' }
  | { state: 'replay', response: unknown }
  | { state: 'conflict' }
  | { state: 'in_progress' }

export interface Store {
  /** The key of a secret, unless the guard's bucket is locked; an unknown secret is counted in the bucket. */
  checkKey (secret: string, guard: AttemptLimit): Promise<KeyCheck>
  key (id: string): Promise<ApiKey | undefined>
  /** Undefined when the key's project is not active (checked and written at once). */
  createKey (key: Omit<ApiKey, 'id'>): Promise<{ key: ApiKey, secret: string } | undefined>
  deleteKey (id: string): Promise<boolean>

  project (account: string, id: string): Promise<Project | undefined>
  /** False when the account has, or had, a project of that id (checked and written at once). */
  createProject (project: Project): Promise<boolean>
  /** Undefined when there is no such project, or it was deleted. */
  updateProject (account: string, id: string, patch: Partial<Pick<Project, 'name' | 'budgetMicros'>>): Promise<Project | undefined>
  /** Marks the project deleted (its spending is kept) and deletes its keys. */
  deleteProject (account: string, id: string): Promise<void>
  spentMicros (account: string, project: string): Promise<number>

  /** Holds `micros` of the project's budget and one request of its quota for `leaseMs`, or says which ran out. */
  reserve (key: ApiKey, budgetMicros: number, quota: number, micros: number, leaseMs: number): Promise<Charge>
  /** The request is still running: its lease runs `leaseMs` from now, and it has delivered `deliveredMicros` so far. */
  renew (reservation: Reservation, deliveredMicros: number, leaseMs: number): Promise<void>
  /** The request cost `actualMicros`: the difference is charged or given back. False if a sweep settled it first. */
  settle (reservation: Reservation, actualMicros: number): Promise<boolean>
  /** The request failed before costing anything: budget and quota are given back. False if a sweep settled it first. */
  release (reservation: Reservation): Promise<boolean>
  /** Settles every reservation whose lease has expired at what it delivered; returns how many. */
  sweepExpired (): Promise<number>

  /** First writer wins: the caller that gets `new` runs the request, then `complete`s or `abandon`s it. */
  claimIdempotency (scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim>
  completeIdempotency (scope: string, key: string, response: unknown): Promise<void>
  abandonIdempotency (scope: string, key: string): Promise<void>

  mfaSecret (account: string): Promise<string | undefined>
  /** True once per account and TOTP time step: a code cannot be used twice, nor an older one after it. */
  useTotpStep (account: string, step: number): Promise<boolean>
  useRecoveryCode (account: string, code: string): Promise<boolean>

  /** Counts an attempt in the limit's window, then says whether it is within the limit. */
  attempt (limit: AttemptLimit): Promise<Attempt>
  /** Takes back one attempt of the bucket: the attempt it counted succeeded. */
  forgive (bucket: string): Promise<void>

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
