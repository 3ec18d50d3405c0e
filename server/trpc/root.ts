import { annotationRouter } from "./routers/annotation";
import { authRouter } from "./routers/auth";
import { caseRouter } from "./routers/case";
import { institutionRouter } from "./routers/institution";
import { projectRouter } from "./routers/project";
import { reviewRouter } from "./routers/review";
import { assignmentRouter } from "./routers/assignment";
import { qaRouter } from "./routers/qa";
import { reportRouter } from "./routers/report";
import { createCallerFactory, router } from "./trpc";

export const appRouter = router({
  auth: authRouter,
  institution: institutionRouter,
  project: projectRouter,
  case: caseRouter,
  annotation: annotationRouter,
  review: reviewRouter,
  assignment: assignmentRouter,
  qa: qaRouter,
  report: reportRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
