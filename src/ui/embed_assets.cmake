# Writes OUT: a C++ file with each of FILES as a string (swarm::ui::WebAsset), by base name.
set(body "#include \"ui/web_assets.h\"\n\nnamespace swarm::ui {\n\nconst std::vector<WebAsset>& WebAssets() {\n  static const std::vector<WebAsset> assets = {\n")
foreach(f ${FILES})
  get_filename_component(name ${f} NAME)
  file(READ ${f} hex HEX)
  file(SIZE ${f} size)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
  # Split the literal so that no line is too long for the compiler's taste.
  string(REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f]){64})" "\\1\"\n\"" escaped "${escaped}")
  string(APPEND body "      {\"${name}\", std::string(\"${escaped}\", ${size})},\n")
endforeach()
string(APPEND body "  };\n  return assets;\n}\n\n}  // namespace swarm::ui\n")
file(WRITE ${OUT} "${body}")
