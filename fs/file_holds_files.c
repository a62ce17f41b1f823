// SPDX-License-Identifier: GPL-2.0
/*
 * Files that can keep other files open.  See include/linux/file_holds_files.h.
 */

#include <linux/export.h>
#include <linux/file_holds_files.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <net/sock.h>

/**
 * file_may_hold_files() - whether a file can hold references to other files
 * @file: the file to look at; the caller holds a reference
 *
 * Return: true for an io_uring instance (fixed files, requests in flight) and
 * for an AF_UNIX socket (files in flight with SCM_RIGHTS), the files through
 * which a driver that holds files could end up holding its own.  False for
 * everything else.
 *
 * Context: Any context.
 */
bool file_may_hold_files(struct file *file)
{
	if (io_is_uring_fops(file))
		return true;
#ifdef CONFIG_NET
	{
		struct socket *sock = sock_from_file(file);

		if (sock && sock->sk && sock->sk->sk_family == AF_UNIX)
			return true;
	}
#endif
	return false;
}
EXPORT_SYMBOL_GPL(file_may_hold_files);
