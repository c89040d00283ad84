package org.preresolver.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.qemu.arch.ArchKernel;
import org.preresolver.qemu.arch.GuestArch;

/**
 * The one place that chooses kernels: every kernel a test gets is the one chosen here, each choice
 * is kept in the cache beside the packages, and a test's image, modules and headers are one ABI.
 */
class TestKernelsTest {

    @Test
    void theAmd64KernelIsTheChosenAbiAndItsFlavoursShareItsNumber() throws Exception {
        String abi = TestKernels.debianAbi();
        assertThat(abi).matches("\\d+\\.\\d+\\.\\d+-\\d+-amd64");
        if (TestKernels.override() == null) {
            assertThat(Files.readString(TestKernels.resolvedAbiFile(), StandardCharsets.US_ASCII).strip())
                    .as("kept in the cache").isEqualTo(abi);
        } else {
            assertThat(abi).isEqualTo(TestKernels.override());
        }
        DebianKernel k = DebianKernel.fetch();
        assertThat(k.release()).isEqualTo(abi);
        assertThat(k.root().getParent()).isEqualTo(TestKernels.cache().resolve("debian").resolve(abi));
        assertThat(Files.isRegularFile(k.root().getParent().resolve(".complete"))).isTrue();
        // One ABI in one package set: image, modules and headers.
        assertThat(k.vmlinuz()).exists();
        assertThat(k.modulesDir()).isDirectory();
        assertThat(k.root().resolve("usr/src/linux-headers-" + abi + "/Module.symvers")).exists();
        assertThat(TestKernels.withFlavour("cloud-amd64")).isEqualTo(TestKernels.abiNumber() + "-cloud-amd64")
                .startsWith(abi.substring(0, abi.length() - "amd64".length()));
    }

    @Test
    void aKernelTheArchiveLacksOrAFailedFetchIsOneLineSayingWhatToDo() {
        // Exit code 3 is the fetch scripts' "a package of that ABI is not in the archive".
        assertThatThrownBy(() -> TestKernels.fetch("Debian kernel 6.1.0-1-amd64", "sh", "-c",
                "echo 'E: Unable to locate package linux-image-6.1.0-1-amd64-unsigned' >&2; exit 3"))
                .isInstanceOf(TestKernels.KernelUnavailable.class)
                .hasMessageContaining("6.1.0-1-amd64 cannot be downloaded").hasMessageContaining("test-abi")
                .hasMessageContaining(TestKernels.PROPERTY)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"))
                .satisfies(e -> assertThat(e.getStackTrace()).as("no stack trace to hide the line").isEmpty());
        assertThatThrownBy(() -> TestKernels.fetch("Debian kernel X", "sh", "-c", "echo one; echo 'disk full' >&2; exit 1"))
                .isInstanceOf(TestKernels.KernelUnavailable.class).hasMessageEndingWith("disk full")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @ParameterizedTest
    @EnumSource(GuestArch.class)
    void eachArchitectureGetsTheAbiKeptForIt(GuestArch arch) throws Exception {
        String abi = TestKernels.archAbi(arch.debian());
        assertThat(abi).endsWith("-" + TestKernels.flavourOf(arch.debian()));
        assertThat(TestKernels.archAbi(arch.debian())).as("resolved once").isEqualTo(abi);
        assertThat(Files.readString(TestKernels.resolvedAbiFile().resolveSibling("test-abi-" + arch.debian()),
                StandardCharsets.US_ASCII).strip()).isEqualTo(abi);
        ArchKernel k = ArchKernel.fetch(arch);
        assertThat(k.release()).isEqualTo(abi);
        assertThat(k.symvers()).exists();
        assertThat(k.image()).exists();
    }
}
