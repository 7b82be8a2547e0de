# Warning flags applied to every edgelm target (not to third-party code).
function(edgelm_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wcast-align
                                           -Wformat=2 -Wimplicit-fallthrough)
  if(EDGELM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
