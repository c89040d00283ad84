package org.preresolver.preresolve;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link Preresolver#moduleNamespaceMatches} case by case against the kernel's {@code verify_module_namespace()}
 * ({@code kernel/module/main.c}, 6.16+): comma-separated patterns, a trailing {@code *} for any tail,
 * {@code mod_strncmp()} equating {@code -} and {@code _} on both sides, exact length without a glob.
 * The namespaces of Debian 7.2's real exports are in the first rows; {@code Rules7BootTest} shows the
 * kernel's verdict on the real ones in QEMU.
 */
class ModuleNamespaceMatchTest {
    @ParameterizedTest(name = "{0} / {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "module:autofs4|autofs4|true",
            "module:autofs4|autofs5|false",
            "module:autofs4|autofs|false",
            "module:autofs4|autofs44|false",
            "module:kvm,kvm-amd,kvm-intel|kvm|true",
            "module:kvm,kvm-amd,kvm-intel|kvm_intel|true",
            "module:kvm,kvm-amd,kvm-intel|kvm-intel|true",
            "module:kvm,kvm-amd,kvm-intel|kvm_amd|true",
            "module:kvm,kvm-amd,kvm-intel|kvm_intex|false",
            "module:kvm,kvm-amd,kvm-intel|kvmgt|false",
            "module:cxl_translate|cxl-translate|true",
            "module:foo-*,bar|foo_x|true",
            "module:foo-*,bar|foo-|true",
            "module:foo-*,bar|foo|false",
            "module:foo-*,bar|bar|true",
            "module:foo-*,bar|barx|false",
            "module:*|anything|true",
            "MODULE_foo|foo|false",
            "DMA_BUF|foo|false",
    })
    void matchesLikeTheKernel(String namespace, String module, boolean want) {
        assertThat(Preresolver.moduleNamespaceMatches(namespace, module)).isEqualTo(want);
    }
}
