// The Linux FUSE kernel protocol, as far as tandem speaks it: opcodes, structure sizes and flags
// (include/uapi/linux/fuse.h; we answer INIT with protocol 7.31). Pure constants, no I/O.

export const OP = {
  LOOKUP: 1, FORGET: 2, GETATTR: 3, SETATTR: 4, READLINK: 5, SYMLINK: 6, MKNOD: 8, MKDIR: 9, UNLINK: 10,
  RMDIR: 11, RENAME: 12, LINK: 13, OPEN: 14, READ: 15, WRITE: 16, STATFS: 17, RELEASE: 18, FSYNC: 20,
  SETXATTR: 21, GETXATTR: 22, LISTXATTR: 23, REMOVEXATTR: 24, FLUSH: 25, INIT: 26, OPENDIR: 27, READDIR: 28,
  RELEASEDIR: 29, FSYNCDIR: 30, GETLK: 31, SETLK: 32, SETLKW: 33, ACCESS: 34, CREATE: 35, INTERRUPT: 36,
  BMAP: 37, DESTROY: 38, IOCTL: 39, POLL: 40, BATCH_FORGET: 42, FALLOCATE: 43, READDIRPLUS: 44, RENAME2: 45,
  LSEEK: 46, COPY_FILE_RANGE: 47, SYNCFS: 50, TMPFILE: 51,
} as const;

export const OP_NAME: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));

export const IN_HEADER = 40;
export const OUT_HEADER = 16;
export const ATTR = 88;
export const ENTRY_OUT = 128;
export const ATTR_OUT = 104;
export const OPEN_OUT = 16;
export const INIT_OUT = 64;
export const STATFS_OUT = 80;
export const DIRENT = 24;

/** Largest write the kernel may send in one request (with max_pages 256 at 4 KiB). */
export const MAX_WRITE = 1024 * 1024;
/** A request buffer: the largest write plus its headers, with room to spare. */
export const REQUEST_BUFFER = MAX_WRITE + 64 * 1024;

/** INIT flags we may accept from the kernel's offer. */
export const INIT_FLAGS = {
  ASYNC_READ: 1 << 0,
  ATOMIC_O_TRUNC: 1 << 3,
  BIG_WRITES: 1 << 5,
  DONT_MASK: 1 << 6,
  /** The kernel enforces POSIX ACLs (read through GETXATTR, cached); we inherit default ACLs. */
  POSIX_ACL: 1 << 20,
  MAX_PAGES: 1 << 22,
} as const;

/** SETATTR `valid` bits. */
export const FATTR = {
  MODE: 1, UID: 2, GID: 4, SIZE: 8, ATIME: 16, MTIME: 32, FH: 64, ATIME_NOW: 128, MTIME_NOW: 256,
} as const;

/** GETATTR flags: the request names an open file handle. */
export const GETATTR_FH = 1;
/** FSYNC flags: data only (fdatasync). */
export const FSYNC_FDATASYNC = 1;

/** Negative errno values as the kernel wants them in the reply header. */
export const ERRNO = {
  EPERM: -1, ENOENT: -2, EIO: -5, EBADF: -9, EACCES: -13, EEXIST: -17, EXDEV: -18, ENOTDIR: -20,
  EISDIR: -21, EINVAL: -22, ENOSPC: -28, EROFS: -30, ERANGE: -34, ENOSYS: -38, ENOTEMPTY: -39, ENODATA: -61, EOPNOTSUPP: -95, ESTALE: -116,
} as const;
