import { authedProcedure, institutionProcedure, router } from "../trpc";

export const institutionRouter = router({
  mine: authedProcedure.query(({ ctx }) =>
    ctx.user.memberships.map((m) => ({ id: m.institutionId, name: m.institutionName, role: m.role })),
  ),

  members: institutionProcedure().query(async ({ ctx, input }) => {
    const rows = await ctx.db.membership.findMany({
      where: { institutionId: input.institutionId },
      include: { user: { select: { id: true, name: true, email: true } } },
      orderBy: [{ role: "asc" }, { user: { name: "asc" } }],
    });
    return rows.map((m) => ({ userId: m.user.id, name: m.user.name, email: m.user.email, role: m.role }));
  }),

  audit: institutionProcedure(["ADMIN"]).query(({ ctx, input }) =>
    ctx.db.auditEvent
      .findMany({ where: { institutionId: input.institutionId }, orderBy: { at: "desc" }, take: 200 })
      .then((rows) => rows.map((r) => ({ ...r, id: r.id.toString() }))),
  ),
});
