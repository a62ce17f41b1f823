/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rust_ipc - a small binder-like IPC device (samples/rust/rust_ipc.rs).
 *
 * Each open file of /dev/rust-ipc is an endpoint with a numeric id, owned by
 * the process (address space) that opened it: only the owner maps, receives
 * and frees.  An endpoint that wants to receive maps a receive area from its
 * file, read-only (at most RUST_IPC_AREA_MAX bytes, offset 0, once).  A sender names the
 * target endpoint by id and passes a payload and up to RUST_IPC_MAX_FDS file
 * descriptors.  The driver copies the payload straight into the receiver's
 * area and holds the files; the receiver learns where the payload is and
 * gets the files as new descriptors (close-on-exec) in its own table.  When it
 * frees the buffer, the driver closes those descriptors and releases the
 * space.
 *
 * A send is all or nothing: on error nothing reaches the receiver.
 *
 * The device node is made by devtmpfs with the misc default mode, 0600
 * root:root: only root (or whoever a udev rule lets) opens endpoints.  Any
 * opener can send to any endpoint id; a receiver that takes files opts in
 * with RUST_IPC_IOC_ACCEPT_FDS.
 *
 * Errors of RUST_IPC_IOC_SEND:
 *   EFAULT   the argument or the payload cannot be read
 *   EINVAL   too many fds, a target of 0, or
 *            an fd of a file that could keep an endpoint alive in a cycle:
 *            a rust_ipc endpoint, an io_uring instance, an AF_UNIX socket
 *   EBADF    one of the fds is not open
 *   EPERM    files were passed to an endpoint that does not accept them
 *            (see RUST_IPC_IOC_ACCEPT_FDS)
 *   ESRCH    no such endpoint, or it is gone, or its address space is, or
 *            the receiver unmapped its area or moved it away (mremap())
 *   EMSGSIZE the payload is larger than RUST_IPC_MAX_DATA or than the area
 *   ENOSPC   the receiver has no area mapped, no room left in it, or
 *            RUST_IPC_MAX_PENDING messages waiting
 *   ENOMEM   the kernel could not allocate
 *
 * Errors of mmap():
 *   EINVAL   larger than RUST_IPC_AREA_MAX, or an offset other than 0
 *   EPERM    writable (PROT_WRITE on a shared mapping, or later mprotect()
 *            gets EACCES), or the caller is not the endpoint's owner
 *   EBUSY    the endpoint already has its area
 *
 * Errors of RUST_IPC_IOC_RECV:
 *   EPERM    the caller is not the endpoint's owner (a child that inherited
 *            the file, or the owner after execve())
 *   EAGAIN   nothing pending and the file is O_NONBLOCK
 *   EINTR    a signal arrived while waiting (restarted with SA_RESTART)
 *   EFAULT   the argument cannot be written (the message stays pending, and
 *            other waiters are woken for it)
 *   ENOMEM   the kernel could not allocate (the message stays, as for EFAULT)
 *
 * A message whose files do not fit the receiver's fd table (it is full, or
 * they exceed its RLIMIT_NOFILE) is received without them: they are closed,
 * num_fds is 0, RUST_IPC_RECV_FDS_DROPPED is set in flags and num_dropped
 * says how many there were.  So no message can wedge the queue.
 *
 * Errors of RUST_IPC_IOC_GET_ID and RUST_IPC_IOC_INFO:
 *   EFAULT   the argument cannot be written
 *
 * Any other ioctl command fails with ENOTTY.
 *
 * Errors of RUST_IPC_IOC_ACCEPT_FDS:
 *   EPERM    the caller is not the endpoint's owner
 *
 * Errors of RUST_IPC_IOC_FREE:
 *   EINVAL   the offset is not that of a received, unfreed buffer
 *   EPERM    the caller is not the endpoint's owner, which received the
 *            buffer, or a thread of it with another fd table than the one
 *            the buffer's fds went to (they are closed by number, in the
 *            caller's table: after execve() or unshare(CLONE_FILES) the
 *            numbers mean other files)
 */
#ifndef _UAPI_LINUX_RUST_IPC_H
#define _UAPI_LINUX_RUST_IPC_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RUST_IPC_DEV		"/dev/rust-ipc"
#define RUST_IPC_MAX_FDS	8
#define RUST_IPC_MAX_DATA	(256 * 1024)
#define RUST_IPC_AREA_MAX	(1024 * 1024)
#define RUST_IPC_MAX_PENDING	64

/**
 * struct rust_ipc_send - a message to send
 * @target: id of the receiving endpoint
 * @num_fds: number of entries of @fds used
 * @data: user pointer to the payload
 * @data_size: payload length in bytes (0 is allowed)
 * @fds: descriptors of the sender to pass; the sender keeps its own
 */
struct rust_ipc_send {
	__u32 target;
	__u32 num_fds;
	__u64 data;
	__u64 data_size;
	__s32 fds[RUST_IPC_MAX_FDS];
};

/**
 * struct rust_ipc_recv - a received message (all fields are written)
 * @sender: id of the sending endpoint
 * @num_fds: number of entries of @fds used
 * @offset: where the payload starts in the receive area; pass it to
 *	RUST_IPC_IOC_FREE when done
 * @data_size: payload length in bytes
 * @fds: the passed files, as new descriptors of the receiver
 * @flags: RUST_IPC_RECV_FDS_DROPPED, or 0
 * @num_dropped: with RUST_IPC_RECV_FDS_DROPPED, how many files were dropped
 */
struct rust_ipc_recv {
	__u32 sender;
	__u32 num_fds;
	__u64 offset;
	__u64 data_size;
	__s32 fds[RUST_IPC_MAX_FDS];
	__u32 flags;
	__u32 num_dropped;
};

/* The message's files did not fit the receiver's fd table: they were closed. */
#define RUST_IPC_RECV_FDS_DROPPED	(1 << 0)

/**
 * struct rust_ipc_info - what the driver did for this endpoint
 * @id: this endpoint's id
 * @mm_grabbed: 1 once a receive area is mapped and its mm grabbed
 * @pending: messages waiting to be received
 * @live_buffers: buffers received and not freed yet
 * @pages: pages currently installed in the receive area
 * @pages_installed: pages ever installed with vm_insert_page()
 * @fds_installed: descriptors ever installed by receives
 * @fds_closed: descriptors ever closed on free (deferred close)
 */
struct rust_ipc_info {
	__u32 id;
	__u32 mm_grabbed;
	__u32 pending;
	__u32 live_buffers;
	__u64 pages;
	__u64 pages_installed;
	__u64 fds_installed;
	__u64 fds_closed;
};

/* Writes this endpoint's id (a __u32, never 0). */
#define RUST_IPC_IOC_GET_ID	_IOR('r', 1, __u32)
#define RUST_IPC_IOC_SEND	_IOW('r', 2, struct rust_ipc_send)
#define RUST_IPC_IOC_RECV	_IOR('r', 3, struct rust_ipc_recv)
/* Frees the received buffer whose offset is the argument itself. */
#define RUST_IPC_IOC_FREE	_IO('r', 4)
#define RUST_IPC_IOC_INFO	_IOR('r', 5, struct rust_ipc_info)
/*
 * The owner accepts files from now on (binder's "accepts fds"): until it
 * opts in, a send that passes files to this endpoint fails with EPERM.
 */
#define RUST_IPC_IOC_ACCEPT_FDS	_IO('r', 6)

#endif /* _UAPI_LINUX_RUST_IPC_H */
