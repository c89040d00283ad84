package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.preresolver.io.ModuleFiles;

/** The modules that command-line inputs name: {@code .ko}, {@code .ko.xz}, {@code .ko.zst}, {@code .ko.gz} files, directories walked. */
public final class Inputs {
    private Inputs() {}

    /**
     * How many modules {@code inputs} name, as every command finds them.
     *
     * @throws java.nio.file.NoSuchFileException an input does not exist
     */
    public static int count(List<Path> inputs) throws IOException {
        return ModuleFiles.find(inputs).size();
    }
}
