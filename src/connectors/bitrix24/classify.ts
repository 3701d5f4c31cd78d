import { BackOffError, CrmUnifyError } from '../../core/errors.js';

/** The portal's error envelope: `{error, error_description}` (docs/bitrix24-rest.md §2). */
export interface PortalError {
  error: string;
  error_description: string;
}

/** Writes are never repeated blindly: their retry needs an ORIGIN_ID look-up first. */
export const isWriteMethod = (method: string): boolean =>
  !/\.(list|get|fields|countries|findbycomm|items\.get)$/i.test(method) && method.toLowerCase() !== 'batch';

/** Codes that mean "these credentials will not work", compared case-insensitively (docs/bitrix24-rest.md §1). */
const authCodes = new Set([
  'no_auth_found',
  'invalid_credentials',
  'insufficient_scope',
  'expired_token',
  'invalid_token',
  'access_denied',
  'wrong_auth_type',
  'portal_deleted',
]);

export function portalError(body: unknown): PortalError | undefined {
  const b = body as { error?: unknown; error_description?: unknown } | undefined;
  if (!b || typeof b !== 'object' || !('error' in b)) return undefined;
  return { error: String(b.error ?? ''), error_description: String(b.error_description ?? '') };
}

export interface Verdict {
  /** Wait before the next attempt, when the portal said so (OPERATION_TIME_LIMIT). */
  operationWaitMs: number;
  write: boolean;
}

/**
 * Turns a non-success answer into the error the retry loop acts on. Refused-before-running
 * answers (503 QUERY_LIMIT_EXCEEDED, 429 OPERATION_TIME_LIMIT) are always safe to repeat; a 5xx
 * may have run, so for a write it is an OUTCOME UNKNOWN the loader must reconcile; 401/403 stop.
 */
export function classify(status: number, body: unknown, v: Verdict): CrmUnifyError {
  const e = portalError(body);
  const code = e?.error ?? '';
  const details = { status, error: code, description: e?.error_description ?? '' };
  const text = `${status}${code ? ` ${code}` : ''}${e?.error_description ? `: ${e.error_description}` : ''}`;
  if (code === 'QUERY_LIMIT_EXCEEDED') {
    return new CrmUnifyError('CRM_RATE_LIMITED', `portal request limit (${text})`, { retriable: true, details });
  }
  if (code === 'OPERATION_TIME_LIMIT' || status === 429) {
    return new BackOffError('CRM_RATE_LIMITED', `portal operating limit (${text})`, v.operationWaitMs, { details });
  }
  if (authCodes.has(code.toLowerCase()) || status === 401 || status === 403) {
    return new CrmUnifyError(
      'CRM_UNAUTHORIZED',
      `portal refused the webhook (${text}): check BITRIX24_WEBHOOK_URL, its scope (crm) and expiry`,
      { retriable: false, details },
    );
  }
  if (code === 'OVERLOAD_LIMIT') {
    // A manual block by Bitrix24 support; nothing ran. Keep trying slowly rather than drop records.
    return new BackOffError('CRM_UNAVAILABLE', `portal blocked the REST API (${text})`, 60_000, { details });
  }
  if (status >= 500 || body === undefined) {
    if (v.write) {
      return new CrmUnifyError(
        'CRM_OUTCOME_UNKNOWN',
        `portal failed mid-write (${text}); the write may have been applied`,
        { retriable: true, details },
      );
    }
    return new CrmUnifyError('CRM_UNAVAILABLE', `portal unavailable (${text})`, { retriable: true, details });
  }
  return new CrmUnifyError('CRM_COMMAND_FAILED', `portal rejected the call (${text})`, { retriable: false, details });
}
