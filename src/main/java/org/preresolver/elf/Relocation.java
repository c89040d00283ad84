package org.preresolver.elf;

/**
 * One relocation entry, class-neutral ({@code Elf32_Rel}, {@code Elf64_Rela}, ...). The symbol
 * index and type are decoded from {@code r_info} with the machine's own layout (MIPS64 differs).
 *
 * @param addend {@code r_addend}, 0 for REL entries
 */
public record Relocation(long offset, int symbol, int type, long addend) {}
