-- AlterTable
ALTER TABLE "ReviewRound" ADD COLUMN     "structure" TEXT NOT NULL DEFAULT 'tumour',
ADD COLUMN     "seed" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "model" TEXT,
ADD COLUMN     "recommendedKey" TEXT,
ADD COLUMN     "summary" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "jobRunId" TEXT;

-- AlterTable
ALTER TABLE "PreferenceObservation" ADD COLUMN     "roundId" TEXT,
ADD COLUMN     "model" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "volumeRatio" DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "PreferenceProfile" ADD COLUMN     "model" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "stats" JSONB NOT NULL DEFAULT '{}';

-- DropIndex
DROP INDEX "PreferenceProfile_institutionId_structure_key";

-- CreateIndex
CREATE UNIQUE INDEX "PreferenceProfile_institutionId_structure_model_key" ON "PreferenceProfile"("institutionId", "structure", "model");
