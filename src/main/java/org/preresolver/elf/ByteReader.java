package org.preresolver.elf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked, endian-aware reads from a byte array. Every access goes through one
 * overflow-safe range check (as kmod's {@code elf_range_valid}); bad input can only produce a
 * {@link FormatException} naming what was being read and where.
 */
public final class ByteReader {
    /** Views of a byte array as unaligned 16-, 32- and 64-bit values, one per byte order. */
    private static final VarHandle LE16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BE16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LE32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BE32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle BE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private final byte[] data;
    private final int length;
    private final boolean little;

    public ByteReader(byte[] data, ByteOrder order) {
        this(data, data.length, order);
    }

    /**
     * Reads only the first {@code length} bytes of {@code data} (a module's ELF part, without the
     * signature after it): nothing at or after {@code length} is in range.
     */
    public ByteReader(byte[] data, int length, ByteOrder order) {
        if (length < 0 || length > data.length) {
            throw new IllegalArgumentException("length " + length + " of " + data.length + " bytes");
        }
        this.data = data;
        this.length = length;
        this.little = order == ByteOrder.LITTLE_ENDIAN;
    }

    /** The array read from; it may be longer than {@link #length()}. */
    public byte[] data() {
        return data;
    }

    /** The bytes in range: {@code [0, length())}. */
    public int length() {
        return length;
    }

    public ByteOrder order() {
        return little ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
    }

    /** True when {@code [offset, offset + length)} lies inside the data; safe for any longs. */
    public boolean inRange(long offset, long length) {
        return offset >= 0 && length >= 0 && offset <= this.length && length <= this.length - offset;
    }

    public void check(long offset, long length, String what) throws FormatException {
        if (!inRange(offset, length)) {
            throw new FormatException(what + " (" + length + " bytes) beyond end of file (" + this.length + " bytes)",
                    offset);
        }
    }

    public int u8(long off, String what) throws FormatException {
        check(off, 1, what);
        return data[(int) off] & 0xff;
    }

    public int u16(long off, String what) throws FormatException {
        check(off, 2, what);
        return u16(data, (int) off, little);
    }

    public long u32(long off, String what) throws FormatException {
        check(off, 4, what);
        return u32(data, (int) off, little);
    }

    public long u64(long off, String what) throws FormatException {
        check(off, 8, what);
        return u64(data, (int) off, little);
    }

    /** An address-sized unsigned value: 4 or 8 bytes. */
    public long word(long off, boolean is64, String what) throws FormatException {
        return is64 ? u64(off, what) : u32(off, what);
    }

    /**
     * A NUL-terminated string starting at {@code off}, scanning no further than {@code limit}
     * (exclusive). Decoded as ISO-8859-1: ELF strings are bytes.
     */
    public String cstring(long off, long limit, String what) throws FormatException {
        return cstring(off, limit, what, -1, "");
    }

    /**
     * As {@link #cstring(long, long, String)}, with what was read named {@code what + index + tail}
     * (index omitted when negative), built only for an error: a symbol table's thousands of names
     * are read without building thousands of messages.
     */
    public String cstring(long off, long limit, String what, long index, String tail) throws FormatException {
        long end = Math.min(limit, length);
        if (off < 0 || off >= end) {
            throw new FormatException(what + (index >= 0 ? index : "") + tail + ": string offset out of range", off);
        }
        int i = (int) off;
        int e = (int) end;
        while (i < e && data[i] != 0) {
            i++;
        }
        if (i == e) {
            throw new FormatException(what + (index >= 0 ? index : "") + tail + ": string not terminated", off);
        }
        return new String(data, (int) off, i - (int) off, StandardCharsets.ISO_8859_1);
    }

    public static int u16(byte[] b, int o, boolean little) {
        return (little ? (short) LE16.get(b, o) : (short) BE16.get(b, o)) & 0xffff;
    }

    public static long u32(byte[] b, int o, boolean little) {
        return (little ? (int) LE32.get(b, o) : (int) BE32.get(b, o)) & 0xffffffffL;
    }

    public static long u64(byte[] b, int o, boolean little) {
        return little ? (long) LE64.get(b, o) : (long) BE64.get(b, o);
    }

    public static void put16(byte[] b, int o, int v, boolean little) {
        if (little) {
            LE16.set(b, o, (short) v);
        } else {
            BE16.set(b, o, (short) v);
        }
    }

    public static void put32(byte[] b, int o, long v, boolean little) {
        if (little) {
            LE32.set(b, o, (int) v);
        } else {
            BE32.set(b, o, (int) v);
        }
    }

    public static void put64(byte[] b, int o, long v, boolean little) {
        if (little) {
            LE64.set(b, o, v);
        } else {
            BE64.set(b, o, v);
        }
    }

    public static void putWord(byte[] b, int o, long v, boolean is64, boolean little) {
        if (is64) {
            put64(b, o, v, little);
        } else {
            put32(b, o, v, little);
        }
    }
}
