-- AlterTable
ALTER TABLE "WorkerHeartbeat" ADD COLUMN     "model" TEXT,
ADD COLUMN     "modelError" TEXT;
