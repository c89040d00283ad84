package org.preresolver.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Module.symvers of a kernel built without {@code CONFIG_MODVERSIONS} (Debian's 7.x: modpost writes
 * {@code 0x00000000} on every line) gives exports without CRCs; one with real CRCs keeps them. The
 * Debian sid arm64 and amd64 files are checked in {@code Arm64Sid7BootTest} and {@code Rules7BootTest}.
 */
class SymversWithoutModversionsTest {
    private static final Map<String, Long> MAP = Map.of("a", 0xffff800080010000L, "b", 0xffff800080020000L);

    private static List<KernelExport> exports(String symvers) throws Exception {
        return SymbolFiles.exports(SymbolFiles.parseSymvers(symvers.getBytes(StandardCharsets.US_ASCII)), MAP,
                SymbolFiles.unknownIdentity("7.2.13+deb14-arm64"), "test").all().stream().toList();
    }

    @Test
    void allZeroCrcsMeanNoModversions() throws Exception {
        List<KernelExport> e = exports("0x00000000\ta\tvmlinux\tEXPORT_SYMBOL\t\n"
                + "0x00000000\tb\tvmlinux\tEXPORT_SYMBOL_GPL\tmodule:kvm\n"
                + "0x12345678\tc\tfs/x\tEXPORT_SYMBOL\t\n");
        assertThat(e).hasSize(2).allSatisfy(x -> assertThat(x.crc()).as(x.name()).isNull());
        assertThat(e).filteredOn(x -> x.name().equals("b")).singleElement()
                .satisfies(x -> assertThat(x.namespace()).isEqualTo("module:kvm"));
    }

    @Test
    void realCrcsAreKeptEvenWhereOneIsZero() throws Exception {
        List<KernelExport> e = exports("0x00000000\ta\tvmlinux\tEXPORT_SYMBOL\t\n"
                + "0x9f84c8a1\tb\tvmlinux\tEXPORT_SYMBOL_GPL\t\n");
        assertThat(e).extracting(KernelExport::crc).containsExactlyInAnyOrder(0L, 0x9f84c8a1L);
    }
}
