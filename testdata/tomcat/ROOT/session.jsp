<%@ page contentType="text/plain" %><%
Integer c = (Integer) session.getAttribute("count");
c = (c == null) ? 1 : c + 1;
session.setAttribute("count", c);
String b = request.getParameter("echo");
%>node=<%= System.getProperty("rig.node") %> session=<%= session.getId() %> count=<%= c %> method=<%= request.getMethod() %> uri=<%= request.getRequestURI() %> query=<%= request.getQueryString() %> remote=<%= request.getRemoteAddr() %> secure=<%= request.isSecure() %> len=<%= request.getContentLength() %><% if (b != null) { %> echo=<%= b %><% } %>
