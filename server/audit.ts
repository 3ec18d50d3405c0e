// Every state change is recorded with actor and time.
import type { Prisma } from "@prisma/client";
import type { Db } from "./db/client";

type Tx = Pick<Db, "auditEvent">;

export interface AuditInput {
  actorId: string | null;
  institutionId?: string | null;
  action: string;
  entityType: string;
  entityId?: string | null;
  data?: Prisma.InputJsonValue;
}

export function audit(db: Tx, e: AuditInput) {
  return db.auditEvent.create({
    data: {
      actorId: e.actorId,
      institutionId: e.institutionId ?? null,
      action: e.action,
      entityType: e.entityType,
      entityId: e.entityId ?? null,
      data: e.data ?? {},
    },
  });
}
