/** SHA-256 (hex) of every *.c, *.h and build.sh in `dir`, in name order: name and content. */
export function sourceHash(dir: string): string;
