package org.preresolver.kernel;

import java.nio.ByteOrder;

/**
 * What identifies the kernel that exports were read from.
 *
 * @param machine {@code e_machine} of vmlinux
 * @param is64 ELF class
 * @param order byte order
 * @param release the release string ({@code UTS_RELEASE}), or "" when unknown
 * @param buildId the GNU build-id as hex, or "" when unknown
 */
public record KernelIdentity(int machine, boolean is64, ByteOrder order, String release, String buildId) {}
