// Files from a drop: plain files, and folders walked recursively (a DICOM series folder).
export interface PickedFile {
  name: string;
  file: File;
}

const junk = (name: string) => name.startsWith(".") || /^(Thumbs\.db|desktop\.ini)$/i.test(name);

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry: FileSystemEntry, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    if (!junk(file.name)) out.push({ name: file.name, file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns batches (100 in Chromium) until an empty one
  for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
    for (const e of batch) await walk(e, out);
  }
}

export async function filesFromDrop(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => Boolean(e));
  if (entries.length === 0) return [...dt.files].map((file) => ({ name: file.name, file }));
  const out: PickedFile[] = [];
  for (const e of entries) await walk(e, out);
  // names must be unique within a case: a series folder with sub-folders may repeat them
  const seen = new Map<string, number>();
  return out.map((f) => {
    const n = seen.get(f.name) ?? 0;
    seen.set(f.name, n + 1);
    return n ? { ...f, name: `${n}-${f.name}` } : f;
  });
}

export function suggestLabel(files: PickedFile[]): string {
  if (files.length !== 1) return "";
  return files[0].name.replace(/\.(nii(\.gz)?|zip|dcm)$/i, "");
}
