-- AlterTable
ALTER TABLE "AnnotationVersion" ADD COLUMN     "measurements" JSONB;

-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "agreementThreshold" DOUBLE PRECISION NOT NULL DEFAULT 0.8;

-- CreateTable
CREATE TABLE "QaAnalysis" (
    "id" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "structure" TEXT NOT NULL,
    "versionIds" TEXT[],
    "status" TEXT NOT NULL DEFAULT 'COMPUTING',
    "agreement" DOUBLE PRECISION,
    "result" JSONB NOT NULL DEFAULT '{}',
    "consensusKey" TEXT,
    "jobRunId" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "QaAnalysis_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "QaAnalysis_caseId_createdAt_idx" ON "QaAnalysis"("caseId", "createdAt");

-- AddForeignKey
ALTER TABLE "QaAnalysis" ADD CONSTRAINT "QaAnalysis_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE CASCADE ON UPDATE CASCADE;
